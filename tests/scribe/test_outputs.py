"""AWS's published HealthScribe outputs read into ClinicalNote and Transcript; lenient reading."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from scribe.support import AWS, aws_example, aws_json
from transcribe_medical import ClinicalNote, ProtocolError, Transcript
from transcribe_medical.scribe import (
    CONFIRMED_SECTIONS,
    TEMPLATE_SECTIONS,
    MedicalScribeJob,
    NoteTemplate,
    parse_clinical_document,
    parse_clinical_insights,
    parse_scribe_transcript,
    transcript_sections,
)

HP_SECTIONS = [
    "CHIEF_COMPLAINT",
    "HISTORY_OF_PRESENT_ILLNESS",
    "REVIEW_OF_SYSTEMS",
    "PAST_MEDICAL_HISTORY",
    "ASSESSMENT",
    "PLAN",
]


@pytest.mark.parametrize("path", sorted(AWS.iterdir()), ids=lambda path: path.name)
def test_each_aws_example_is_listed_in_sources_with_its_sha256(path: Any) -> None:
    # A fixture nobody can trace to AWS's page is not a real AWS output (tests/fixtures/aws/SOURCES.md).
    sources = (AWS.parent / "SOURCES.md").read_text()
    row = next((line for line in sources.splitlines() if line.startswith(f"| `{path.name}` |")), None)
    assert row is not None, f"{path.name} is not in SOURCES.md"
    assert "https://docs.aws.amazon.com/" in row or "same page" in row
    assert hashlib.sha256(path.read_bytes()).hexdigest() in row, f"{path.name} differs from the file as saved"


@pytest.mark.parametrize("kind", ["batch", "streaming"])
def test_aws_summary_keeps_sections_in_order_with_sentences_and_evidence(kind: str) -> None:
    note = parse_clinical_document(aws_example(f"{kind}-summary.json"))
    assert note.section_names == HP_SECTIONS
    hpi = note.section("history of present illness")
    assert hpi is not None and hpi.title == "History of present illness"
    assert [s.text for s in hpi.sentences][1] == (
        "They report feeling more energy and craving carbohydrates, sugar, and fat."
    )
    assert hpi.sentences[1].evidence == ("uuid11", "uuid12", "uuid13")
    assert note.evidence_ids == [f"uuid{i}" for i in range(1, 35)]
    assert all(section.is_confirmed for section in note.sections)
    assert note.session_id == ("`sampleSessionUUID`" if kind == "streaming" else None)


@pytest.mark.parametrize("kind", ["batch", "streaming"])
def test_aws_transcript_gives_roles_as_speakers_and_keeps_segment_ids(kind: str) -> None:
    raw = aws_json(f"{kind}-transcript.json")["Conversation"]
    transcript = parse_scribe_transcript(aws_example(f"{kind}-transcript.json"))
    assert isinstance(transcript, Transcript)
    assert [s.segment_id for s in transcript.segments] == [s["SegmentId"] for s in raw["TranscriptSegments"]]
    assert [s.text for s in transcript.segments] == [s["Content"] for s in raw["TranscriptSegments"]]
    assert transcript.speakers == ["CLINICIAN_0"]
    assert {item.speaker for s in transcript.segments for item in s.items} == {"CLINICIAN_0"}
    first, second = transcript.segments[:2]
    assert [i.content for i in first.items] == ["Okay", "."]
    assert [i.content for i in second.items] == ["Good", "afternoon", "."]
    assert second.items[0].confidence == 1 and first.items[1].confidence is None  # punctuation: not scored
    assert (transcript.source, transcript.job_name, transcript.session_id) == (
        ("batch", "`sampleJobName`", None) if kind == "batch" else ("streaming", None, "`sampleSessionUUID`")
    )


@pytest.mark.parametrize("kind", ["batch", "streaming"])
def test_the_json_export_keeps_segment_ids_so_evidence_still_resolves(kind: str) -> None:
    from transcribe_medical.exports.json_format import from_json, to_json

    transcript = parse_scribe_transcript(aws_example(f"{kind}-transcript.json"))
    document = json.loads(to_json(transcript))
    assert [s["segment_id"] for s in document["segments"]] == [s.segment_id for s in transcript.segments]
    assert from_json(to_json(transcript)) == transcript


def test_clinical_insights_become_entities_of_the_segment_they_name() -> None:
    transcript = parse_scribe_transcript(aws_example("streaming-transcript.json"))
    by_id = {segment.segment_id: segment for segment in transcript.segments}
    assert [(e.category, e.content) for e in by_id["uuid4"].entities] == [("MEDICATION", "phentermine")]
    # "mammogram" at offsets 4-12 of "Good afternoon.": the words those offsets cover give the time.
    mammogram = by_id["uuid2"].entities[0]
    assert (mammogram.start, mammogram.end) == (0.92, 1.54)
    # Six insights, one naming a segment this example does not hold (uuid7): five entities.
    assert len(transcript.entities) == 5
    insights = parse_clinical_insights(aws_example("streaming-transcript.json"))
    assert [(i.category, i.type) for i in insights][4] == ("TEST_TREATMENT_PROCEDURE", "TEST_NAME")
    assert insights[4].attributes[0].type == "TEST_VALUE"
    assert insights[4].attributes[0].spans[0].content == "high"


def test_transcript_sections_are_kept_by_segment_id() -> None:
    sections = transcript_sections(aws_example("batch-transcript.json"))
    assert sections["uuid2"] == "OTHER"
    assert set(sections.values()) == {"SUBJECTIVE", "OTHER"}


def test_evidence_resolves_against_the_transcript_and_missing_links_are_named() -> None:
    note = parse_clinical_document(aws_example("streaming-summary.json"))
    transcript = parse_scribe_transcript(aws_example("streaming-transcript.json"))
    resolved = note.resolve(transcript)
    assert len(resolved) == sum(len(s.sentences) for s in note.sections)
    chief = resolved[0]
    assert chief.section == "CHIEF_COMPLAINT"
    assert [s.segment_id for s in chief.segments] == ["uuid1", "uuid2", "uuid3", "uuid4", "uuid5", "uuid6"]
    assert chief.missing == ()
    # AWS's example note cites 34 segments; its example transcript holds six of them.
    assert note.missing_evidence(transcript) == [f"uuid{i}" for i in range(7, 35)]


def _note_for(template: NoteTemplate, names: tuple[str, ...]) -> dict[str, Any]:
    # Synthetic (AWS publishes no sample for these templates): built from the guide's section names.
    return {
        "ClinicalDocumentation": {
            "Sections": [
                {"SectionName": name, "Summary": [{"SummarizedSegment": f"{name} sentence.", "EvidenceLinks": []}]}
                for name in names
            ]
        }
    }


@pytest.mark.parametrize("template", list(NoteTemplate))
def test_every_template_parses_whatever_its_section_names(template: NoteTemplate) -> None:
    names = TEMPLATE_SECTIONS[template]
    note = parse_clinical_document(_note_for(template, names), template=template.value)
    assert note.section_names == list(names)
    assert note.template == template.value
    # Names written as words, or in another case, are read as they are.
    worded = parse_clinical_document(_note_for(template, tuple(n.replace("_", " ").title() for n in names)))
    assert worded.section(names[0]) is worded.sections[0]


def test_only_history_and_physical_names_are_confirmed() -> None:
    assert TEMPLATE_SECTIONS[NoteTemplate.HISTORY_AND_PHYSICAL] == CONFIRMED_SECTIONS
    note = parse_clinical_document(_note_for(NoteTemplate.GIRPP, TEMPLATE_SECTIONS[NoteTemplate.GIRPP]))
    assert not any(section.is_confirmed for section in note.sections if section.name != "PLAN")


def test_reading_is_lenient_about_what_aws_adds_later() -> None:
    document = {
        "ClinicalDocumentation": {
            "Sections": [
                {"SectionName": "SOCIAL_DETERMINANTS", "Summary": [{"SummarizedSegment": "Lives alone.", "New": 1}]},
                {"SectionName": "PLAN"},
                {"Summary": [{"EvidenceLinks": [{"SegmentId": "s1"}, {"Other": "x"}, "s2"]}]},
                "not a section",
            ],
            "Confidence": 0.9,
        },
        "Version": "2",
    }
    note = parse_clinical_document(json.dumps(document))
    assert note.section_names == ["SOCIAL_DETERMINANTS", "PLAN", "UNNAMED"]
    assert note.sections[0].title == "Social determinants"
    assert note.sections[1].sentences == []
    assert note.sections[2].sentences[0].evidence == ("s1", "s2")
    transcript = parse_scribe_transcript(
        {
            "Conversation": {
                "TranscriptSegments": [
                    {
                        "SegmentId": "a",
                        "BeginAudioTime": 0,
                        "EndAudioTime": 1,
                        "Content": "Hello.",
                        "ParticipantDetails": {"ParticipantRole": "CAREGIVER_0"},
                        "SectionDetails": {"SectionName": "SMALL_TALK"},
                    },
                    {"SegmentId": "b", "BeginAudioTime": 1, "EndAudioTime": 2, "Content": "Hi."},
                ],
                "TranscriptItems": [{"Type": "FILLER", "Alternatives": [{"Content": "um"}], "BeginAudioTime": 0.1}],
                "ClinicalInsights": [{"InsightType": "Summary", "Category": "NEW_CATEGORY", "Spans": "odd"}],
            }
        }
    )
    assert [s.speaker for s in transcript.segments] == ["CAREGIVER_0", None]
    assert transcript.segments[0].items[0].content == "um"


def test_job_statuses_aws_adds_later_stay_strings() -> None:
    job = MedicalScribeJob.from_api(
        {
            "MedicalScribeJobName": "visit",
            "MedicalScribeJobStatus": "ARCHIVED",
            "Settings": {"ShowSpeakerLabels": True, "ClinicalNoteGenerationSettings": {"NoteTemplate": "NEW"}},
            "ChannelDefinitions": [{"ChannelId": 0, "ParticipantRole": "INTERPRETER"}],
            "NewField": 1,
        }
    )
    assert job.status == "ARCHIVED" and not job.is_done and job.status_text == "ARCHIVED"
    assert job.settings is not None and job.settings.show_speaker_labels is True
    assert job.settings.note_template == "NEW"
    assert job.channel_definitions is not None
    assert job.channel_definitions[0].participant_role == "INTERPRETER"


@pytest.mark.parametrize(
    ("data", "reader"),
    [
        (b"{not json", parse_clinical_document),
        (b"[]", parse_clinical_document),
        (b'{"Conversation": {}}', parse_clinical_document),
        (b"{not json", parse_scribe_transcript),
        (b'{"ClinicalDocumentation": {}}', parse_scribe_transcript),
    ],
)
def test_a_file_that_is_not_a_healthscribe_output_is_a_protocol_error(data: bytes, reader: Any) -> None:
    with pytest.raises(ProtocolError):
        reader(data)


def test_notes_never_show_their_text_in_repr() -> None:
    note = parse_clinical_document(aws_example("batch-summary.json"), job_name="visit-1")
    assert "phentermine" not in repr(note) and "phentermine" not in repr(note.sections[1])
    assert isinstance(note, ClinicalNote) and "sections=6" in repr(note)
