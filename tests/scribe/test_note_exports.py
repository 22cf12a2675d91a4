"""The five note exports on AWS's published examples; FHIR validated with fhir.resources."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.documentreference import DocumentReference

from scribe.support import aws_example
from transcribe_medical import ClinicalNote, Transcript, ValidationError
from transcribe_medical._notice import IMPORTANT_NOTICE
from transcribe_medical.exports.note_fhir import note_to_fhir
from transcribe_medical.exports.note_formats import NOTE_EXPORT_FORMATS, check_note_format, export_note
from transcribe_medical.exports.note_html import note_to_html
from transcribe_medical.exports.note_markdown import note_to_markdown
from transcribe_medical.scribe import parse_clinical_document, parse_scribe_transcript


@pytest.fixture(params=["batch", "streaming"])
def outputs(request: pytest.FixtureRequest) -> tuple[ClinicalNote, Transcript]:
    kind = request.param
    note = parse_clinical_document(aws_example(f"{kind}-summary.json"), job_name="visit-0412")
    return note, parse_scribe_transcript(aws_example(f"{kind}-transcript.json"))


def _sentences(note: ClinicalNote) -> list[str]:
    return [sentence.text for section in note.sections for sentence in section.sentences]


@pytest.mark.parametrize("fmt", NOTE_EXPORT_FORMATS)
def test_every_format_renders_every_sentence_or_carries_it(outputs: tuple[ClinicalNote, Transcript], fmt: str) -> None:
    note, transcript = outputs
    rendered = export_note(note, fmt, transcript=transcript, subject="Patient/123")
    if fmt == "fhir":
        rendered = base64.b64decode(json.loads(rendered)["content"][0]["attachment"]["data"]).decode("utf-8")
    if fmt == "json":
        rendered = json.dumps(json.loads(rendered), ensure_ascii=False)
    flat = " ".join(rendered.replace("\\", "").split())
    for sentence in _sentences(note):
        expected = sentence.replace("'", "&#x27;") if fmt == "html" else sentence
        assert expected in flat, (fmt, sentence)


def test_markdown_has_the_notice_headings_in_order_and_evidence(outputs: tuple[ClinicalNote, Transcript]) -> None:
    note, _ = outputs
    markdown = note_to_markdown(note)
    headings = re.findall(r"^## (.+)$", markdown, flags=re.M)
    assert headings == [section.title for section in note.sections]
    assert IMPORTANT_NOTICE in markdown
    assert "- Weight loss. <sub>evidence: `uuid1`, `uuid2`" in markdown
    assert "evidence" not in note_to_markdown(note, evidence=False)


def test_markdown_escapes_what_was_said() -> None:
    note = parse_clinical_document(
        {
            "ClinicalDocumentation": {
                "Sections": [{"SectionName": "PLAN", "Summary": [{"SummarizedSegment": "# *2* [x](y)"}]}]
            }
        }
    )
    assert "- \\# \\*2\\* \\[x\\](y)" in note_to_markdown(note)


def test_text_is_plain_and_wrapped(outputs: tuple[ClinicalNote, Transcript]) -> None:
    note, _ = outputs
    text = export_note(note, "txt")
    assert text.startswith("CLINICAL NOTE\njob visit-0412")
    assert "\nHISTORY OF PRESENT ILLNESS\n- The patient is seen today for a follow-up of weight loss.\n" in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_json_reads_back_as_the_same_note(outputs: tuple[ClinicalNote, Transcript]) -> None:
    note, _ = outputs
    again = parse_clinical_document(export_note(note, "json"))
    assert again == note


def test_html_shows_the_note_beside_the_transcript_with_evidence_links(
    outputs: tuple[ClinicalNote, Transcript],
) -> None:
    note, transcript = outputs
    page = note_to_html(note, transcript)
    assert page.index("Review before use.") < page.index('class="card note"') < page.index('class="card transcript"')
    assert IMPORTANT_NOTICE in page
    cited = re.findall(r'class="sentence" id="sentence-(\d+)" tabindex="0" data-evidence="([^"]*)"', page)
    assert [evidence.split() for _, evidence in cited] == [
        list(sentence.evidence) for section in note.sections for sentence in section.sentences
    ]
    assert [int(n) for n, _ in cited] == list(range(1, len(cited) + 1))
    rows = re.findall(r'class="segment" data-segment-id="([^"]*)"', page)
    assert rows == [segment.segment_id for segment in transcript.segments]
    assert "28 not in the transcript" not in page  # counted per sentence, not per note
    assert "4 not in the transcript" in page  # e.g. the first HPI sentence: uuid7-uuid10


def test_html_is_self_contained_and_allows_only_its_own_script(outputs: tuple[ClinicalNote, Transcript]) -> None:
    note, transcript = outputs
    page = note_to_html(note, transcript)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None and "default-src &#x27;none&#x27;" in csp.group(1)
    script = re.search(r"<script>(.*)</script>", page, flags=re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"sha256-{digest}" in csp.group(1)
    assert page.count("<script") == 1


def test_html_escapes_everything_from_the_note_and_transcript() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    note = parse_clinical_document(
        {
            "ClinicalDocumentation": {
                "Sections": [
                    {
                        "SectionName": hostile,
                        "Summary": [{"SummarizedSegment": hostile, "EvidenceLinks": [{"SegmentId": '"><b>'}]}],
                    }
                ]
            }
        }
    )
    transcript = parse_scribe_transcript(
        {"Conversation": {"TranscriptSegments": [{"SegmentId": '"><b>', "Content": hostile, "BeginAudioTime": 0}]}}
    )
    page = note_to_html(note, transcript, title=hostile)
    assert "<img" not in page and "<b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_html_without_a_transcript_shows_the_note_alone(outputs: tuple[ClinicalNote, Transcript]) -> None:
    note, _ = outputs
    page = note_to_html(note)
    assert 'class="card transcript"' not in page and "Weight loss." in page


def test_fhir_document_reference_validates_with_fhir_resources(outputs: tuple[ClinicalNote, Transcript]) -> None:
    note, _ = outputs
    made = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
    resource = note_to_fhir(
        note.model_copy(update={"template": "HISTORY_AND_PHYSICAL"}),
        subject="Patient/123",
        authors=["Practitioner/456"],
        date=made,
    )
    document = DocumentReference.model_validate(resource)
    assert document.status == "current" and document.docStatus == "preliminary"
    assert document.type.coding[0].system == "http://loinc.org" and document.type.coding[0].code == "34117-2"
    assert document.subject.reference == "Patient/123" and document.author[0].reference == "Practitioner/456"
    assert document.content[0].attachment.contentType == "text/markdown"
    attachment = resource["content"][0]["attachment"]
    markdown = base64.b64decode(attachment["data"], validate=True)
    expected = note_to_markdown(note.model_copy(update={"template": "HISTORY_AND_PHYSICAL"}), evidence=False)
    assert markdown.decode("utf-8") == expected
    assert attachment["size"] == len(markdown)
    assert base64.b64decode(attachment["hash"]) == hashlib.sha1(markdown, usedforsecurity=False).digest()
    assert resource["date"] == "2026-12-06T15:00:00+00:00"


@pytest.mark.parametrize(
    ("template", "code"),
    [("HISTORY_AND_PHYSICAL", "34117-2"), ("PHYSICAL_SOAP", "11506-3"), ("DAP", "11506-3"), (None, "11506-3")],
)
def test_fhir_note_type_follows_the_template(
    outputs: tuple[ClinicalNote, Transcript], template: str | None, code: str
) -> None:
    note, _ = outputs
    resource = json.loads(export_note(note.model_copy(update={"template": template}), "fhir"))
    DocumentReference.model_validate(resource)
    assert resource["type"]["coding"][0]["code"] == code
    assert "subject" not in resource and "author" not in resource


@pytest.mark.parametrize("reference", ["123", "Patient 123", "patient/1", ""])
def test_fhir_refuses_references_that_are_not_references(
    outputs: tuple[ClinicalNote, Transcript], reference: str
) -> None:
    note, _ = outputs
    with pytest.raises(ValidationError, match=r"subject: .* is invalid: use a FHIR reference"):
        note_to_fhir(note, subject=reference)


def test_fhir_refuses_a_naive_date(outputs: tuple[ClinicalNote, Transcript]) -> None:
    note, _ = outputs
    with pytest.raises(ValidationError, match="timezone"):
        note_to_fhir(note, date=datetime(2026, 12, 6))


def test_an_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError, match="choose one of markdown, text, json, html, fhir"):
        check_note_format("pdf")
