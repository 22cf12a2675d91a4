"""The emulator's note engine, role assignment, silence skipping and vocabulary-filter methods."""

from __future__ import annotations

import uuid

import pytest

from local.scribe_support import VISIT
from transcribe_medical.local.batch_worker import Utterance
from transcribe_medical.local.clinical_note import (
    NOTE_TEMPLATES,
    TEMPLATE_SECTIONS,
    ConversationTurn,
    build_clinical_documentation,
    clinical_insights,
    transcript_section,
)
from transcribe_medical.local.results import FinalWord
from transcribe_medical.local.scribe_worker import _islands, assign_roles, role_account
from transcribe_medical.local.vocabulary_filters import MASK, apply_filter, parse_filter_file

TURNS = [ConversationTurn(f"seg-{i}", f"{role}_0", text.capitalize() + ".") for i, (role, text) in enumerate(VISIT)]


def _sections(template: str, turns: list[ConversationTurn] = TURNS) -> dict[str, list[str]]:
    note = build_clinical_documentation(turns, template)["ClinicalDocumentation"]
    return {s["SectionName"]: [item["SummarizedSegment"] for item in s["Summary"]] for s in note["Sections"]}


def test_history_and_physical_note_of_the_visit() -> None:
    sections = _sections("HISTORY_AND_PHYSICAL")
    assert list(sections) == [
        "CHIEF_COMPLAINT",
        "HISTORY_OF_PRESENT_ILLNESS",
        "REVIEW_OF_SYSTEMS",
        "PAST_MEDICAL_HISTORY",
        "PHYSICAL_EXAMINATION",
        "ASSESSMENT",
        "PLAN",
    ]
    assert sections["CHIEF_COMPLAINT"] == ["Sore throat and cough."]
    assert sections["HISTORY_OF_PRESENT_ILLNESS"] == ["The patient has had a sore throat and a cough for five days."]
    assert sections["REVIEW_OF_SYSTEMS"] == ["The patient denies shortness of breath."]
    assert sections["PAST_MEDICAL_HISTORY"] == ["The patient has asthma and uses an inhaler."]
    assert sections["PHYSICAL_EXAMINATION"] == ["The lungs are clear and the throat is red."]
    assert sections["ASSESSMENT"] == ["Likely a viral infection."]
    assert sections["PLAN"] == ["The patient was advised to drink plenty of fluids and take ibuprofen for the fever."]


def test_a_patients_answer_links_the_question_it_answers() -> None:
    note = build_clinical_documentation(TURNS)["ClinicalDocumentation"]
    review = next(s for s in note["Sections"] if s["SectionName"] == "REVIEW_OF_SYSTEMS")
    assert review["Summary"][0]["EvidenceLinks"] == [{"SegmentId": "seg-2"}, {"SegmentId": "seg-3"}]


@pytest.mark.parametrize("template", NOTE_TEMPLATES)
def test_every_template_gets_its_sections_in_order_with_real_evidence(template: str) -> None:
    note = build_clinical_documentation(TURNS, template)["ClinicalDocumentation"]
    names = [section["SectionName"] for section in note["Sections"]]
    order = [name for name, _ in TEMPLATE_SECTIONS[template]]
    assert names == [name for name in order if name in names]
    assert "PLAN" in names
    ids = {turn.segment_id for turn in TURNS}
    for section in note["Sections"]:
        assert section["Summary"]
        for item in section["Summary"]:
            assert item["SummarizedSegment"].endswith(".")
            assert item["EvidenceLinks"]
            assert {link["SegmentId"] for link in item["EvidenceLinks"]} <= ids
    assert note["Metadata"]["Emulated"] is True
    assert note["Metadata"]["NoteTemplate"] == template


def test_soap_puts_the_history_under_subjective() -> None:
    sections = _sections("PHYSICAL_SOAP")
    assert list(sections) == ["SUBJECTIVE", "OBJECTIVE", "ASSESSMENT", "PLAN"]
    assert "The patient denies shortness of breath." in sections["SUBJECTIVE"]


def test_sections_follow_what_was_said() -> None:
    small_talk = [
        ConversationTurn("a", "CLINICIAN_0", "Good morning."),
        ConversationTurn("b", "PATIENT_0", "I have a headache since yesterday."),
    ]
    assert list(_sections("HISTORY_AND_PHYSICAL", small_talk)) == ["CHIEF_COMPLAINT", "HISTORY_OF_PRESENT_ILLNESS"]
    assert build_clinical_documentation([], "DAP")["ClinicalDocumentation"]["Sections"] == []


def test_the_note_is_deterministic_and_refuses_unknown_templates() -> None:
    assert build_clinical_documentation(TURNS, "GIRPP") == build_clinical_documentation(TURNS, "GIRPP")
    with pytest.raises(ValueError, match="template must be one of HISTORY_AND_PHYSICAL"):
        build_clinical_documentation(TURNS, "SOAP")


def test_transcript_sections() -> None:
    assert [transcript_section(turn) for turn in TURNS] == [
        "OTHER",
        "SUBJECTIVE",
        "SUBJECTIVE",
        "SUBJECTIVE",
        "SUBJECTIVE",
        "SUBJECTIVE",
        "OBJECTIVE",
        "ASSESSMENT_AND_PLAN",
        "ASSESSMENT_AND_PLAN",
        "OTHER",
    ]


def test_clinical_insights_have_end_inclusive_offsets_into_the_segment() -> None:
    namespace = uuid.UUID(int=7)
    insights = clinical_insights(TURNS, namespace)
    found = {(i["Spans"][0]["Content"], i["Category"], i["Type"]) for i in insights}
    assert ("sore throat", "MEDICAL_CONDITION", "DX_NAME") in found
    assert ("ibuprofen", "MEDICATION", "GENERIC_NAME") in found
    assert ("lungs", "ANATOMY", "SYSTEM_ORGAN_SITE") in found
    assert ("throat", "ANATOMY", "SYSTEM_ORGAN_SITE") in found  # "your throat is red", not the sore throat
    assert not any(
        content == "throat" and span_id == "seg-1"
        for content, span_id in ((i["Spans"][0]["Content"], i["Spans"][0]["SegmentId"]) for i in insights)
    )
    for insight in insights:
        span = insight["Spans"][0]
        text = next(t.text for t in TURNS if t.segment_id == span["SegmentId"])
        assert text[span["BeginCharacterOffset"] : span["EndCharacterOffset"] + 1] == span["Content"]
    assert insights == clinical_insights(TURNS, namespace)


# ------------------------------------------------------------------------------ worker helpers


def _utterance(speaker: int, text: str, start: float = 0.0) -> Utterance:
    words = tuple(FinalWord(word, start + i, start + i + 0.5, 0.9) for i, word in enumerate(text.split()))
    return Utterance(0, speaker, words)


def test_the_speaker_who_asks_and_advises_is_the_clinician() -> None:
    utterances = [
        _utterance(0, "i have had a cough for two days"),
        _utterance(1, "do you have a fever"),
        _utterance(0, "no"),
        _utterance(1, "take ibuprofen and come back in a week"),
        _utterance(2, "thank you"),
    ]
    assert assign_roles(utterances) == ["PATIENT_0", "CLINICIAN_0", "PATIENT_0", "CLINICIAN_0", "PATIENT_1"]
    assert assign_roles([_utterance(3, "hello"), _utterance(4, "hello")]) == ["CLINICIAN_0", "PATIENT_0"]
    assert assign_roles(utterances[:2], channel_roles={0: "PATIENT"}) == ["PATIENT_0", "PATIENT_0"]


def test_digital_silence_is_skipped_with_a_margin() -> None:
    rate = 1000
    speech = b"\x01\x00" * rate  # 1 s
    track = bytes(2 * rate * 2) + speech + bytes(2 * rate * 3) + speech + bytes(100)
    assert _islands(track, rate) == [(3500, 6500), (11500, 14100)]
    assert _islands(bytes(10_000), rate) == []


def test_role_account() -> None:
    assert role_account("arn:aws:iam::123456789012:role/x") == "123456789012"
    assert role_account("arn:aws:iam:::role/x") is None


def _words(text: str) -> list[FinalWord]:
    parts = text.split()
    return [FinalWord(w, float(i), i + 0.5, 0.9, "." if i == len(parts) - 1 else "") for i, w in enumerate(parts)]


@pytest.mark.parametrize(
    ("method", "expected", "matched"),
    [
        ("mask", ["I", "use", MASK, "daily."], [False, False, True, False]),
        ("remove", ["I", "use", "daily."], [False, False, False]),
        ("tag", ["I", "use", "Albuterol", "daily."], [False, False, True, False]),
    ],
)
def test_filter_methods(method: str, expected: list[str], matched: list[bool]) -> None:
    result = apply_filter(_words("I use Albuterol daily"), ["albuterol"], method)
    assert [r.word.content + r.word.punctuation for r in result] == expected
    assert [r.matched for r in result] == matched


def test_filters_match_phrases_and_keep_the_full_stop_when_removing() -> None:
    result = apply_filter(_words("no shortness of breath"), ["shortness of breath"], "remove")
    assert [(r.word.content, r.word.punctuation) for r in result] == [("no", ".")]
    masked = apply_filter(_words("no shortness of breath"), ["Shortness of Breath"], "mask")
    assert [r.word.content for r in masked] == ["no", MASK, MASK, MASK]
    assert parse_filter_file("one\n\n  two words \n") == ["one", "two words"]


def test_the_emulator_writes_the_section_names_the_sdk_documents_for_each_template() -> None:
    from transcribe_medical.local.clinical_note import NOTE_TEMPLATES, TEMPLATE_SECTIONS
    from transcribe_medical.scribe.enums import NoteTemplate
    from transcribe_medical.scribe.templates import DOCUMENTED_SECTIONS
    from transcribe_medical.scribe.templates import TEMPLATE_SECTIONS as SDK_SECTIONS

    assert NOTE_TEMPLATES[0] == "HISTORY_AND_PHYSICAL"
    assert set(TEMPLATE_SECTIONS) == {template.value for template in NoteTemplate}
    for template, sections in TEMPLATE_SECTIONS.items():
        emulated = [name for name, _facets in sections]
        known = set(SDK_SECTIONS[NoteTemplate(template)]) | set(DOCUMENTED_SECTIONS)
        assert set(emulated) <= known, (template, set(emulated) - known)
        # Every main section the SDK documents for the template can be written by the emulator.
        assert set(SDK_SECTIONS[NoteTemplate(template)]) <= set(emulated), template
