"""The emulator's clinical-note engine: a HealthScribe-shaped note built from the recognised conversation.

AWS HealthScribe writes its note with a generative model. The emulator cannot, so it builds a
*deterministic* note from what was said, sentence by sentence, with plain rules:

1. Each transcript segment (a turn of the conversation, with its participant role) is cut into
   clauses where a new statement plainly starts ("i think ...", "we will ...", "come back ...").
2. Each clause gets at most one *facet* from cue words: the chief complaint (the patient's first
   symptom), history of the illness, pertinent negatives ("no fever"), past medical history,
   examination and test findings, the clinician's assessment, the plan, or the patient's
   response. Greetings and small talk get none.
3. The requested template maps facets to its sections (``HISTORY_AND_PHYSICAL``: chief complaint
   -> ``CHIEF_COMPLAINT``, ...); a section appears when something was said for it, in the
   template's order.
4. Each summarized sentence is the clause rewritten in the third person ("i have asthma" ->
   "The patient has asthma."), and its ``EvidenceLinks`` name the segment it came from - plus the
   clinician's question just before, when a patient's answer needs it to make sense.

The same cues give each transcript segment its ``SectionDetails`` (``SUBJECTIVE``, ``OBJECTIVE``,
``ASSESSMENT_AND_PLAN``, ``OTHER``) and a small lexicon gives the transcript's
``ClinicalInsights`` (conditions, medications, tests, anatomy). The note says in its metadata
that it is emulated. Nothing here is medical advice; it is a test double with the right shape.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from transcribe_medical.scribe.enums import NoteTemplate

__all__ = [
    "EMULATED_NOTICE",
    "NOTE_TEMPLATES",
    "TEMPLATE_SECTIONS",
    "ConversationTurn",
    "build_clinical_documentation",
    "clinical_insights",
    "transcript_section",
]

#: What the note's metadata says about where it came from.
EMULATED_NOTICE: Final = (
    "Emulated by the transcribe-medical local emulator: built by rules from the recognised "
    "conversation, not by AWS HealthScribe. For testing only."
)

#: The note templates of StartMedicalScribeJob (botocore's enum), default first: the SDK's enum
#: is the one source.
NOTE_TEMPLATES: Final = tuple(template.value for template in NoteTemplate)

# Facets: what a clause is about.
COMPLAINT: Final = "complaint"
HISTORY: Final = "history"
NEGATIVES: Final = "negatives"
PAST_HISTORY: Final = "past_history"
EXAM: Final = "exam"
ASSESSMENT: Final = "assessment"
PLAN: Final = "plan"
RESPONSE: Final = "response"

_SUBJECTIVE_FACETS: Final = (COMPLAINT, HISTORY, NEGATIVES, PAST_HISTORY)
# Sections that name the complaint in a few words ("Sore throat and cough.") rather than a sentence.
_BRIEF_SECTIONS: Final = ("CHIEF_COMPLAINT", "GOAL")

#: Each template's sections in AWS's order, and the facets each one takes. The
#: HISTORY_AND_PHYSICAL names are those of AWS's published example (plus PHYSICAL_EXAMINATION);
#: the other templates' names are the section names of AWS's documentation, upper-cased.
TEMPLATE_SECTIONS: Final[dict[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "HISTORY_AND_PHYSICAL": (
        ("CHIEF_COMPLAINT", (COMPLAINT,)),
        ("HISTORY_OF_PRESENT_ILLNESS", (COMPLAINT, HISTORY)),
        ("REVIEW_OF_SYSTEMS", (NEGATIVES,)),
        ("PAST_MEDICAL_HISTORY", (PAST_HISTORY,)),
        ("PHYSICAL_EXAMINATION", (EXAM,)),
        ("ASSESSMENT", (ASSESSMENT,)),
        ("PLAN", (PLAN,)),
    ),
    "GIRPP": (
        ("GOAL", (COMPLAINT,)),
        ("INTERVENTION", (EXAM, ASSESSMENT)),
        ("RESPONSE", (RESPONSE,)),
        ("PROGRESS", (HISTORY, NEGATIVES, PAST_HISTORY)),
        ("PLAN", (PLAN,)),
    ),
    "BIRP": (
        ("BEHAVIOR", _SUBJECTIVE_FACETS),
        ("INTERVENTION", (EXAM, ASSESSMENT)),
        ("RESPONSE", (RESPONSE,)),
        ("PLAN", (PLAN,)),
    ),
    "SIRP": (
        ("SITUATION", _SUBJECTIVE_FACETS),
        ("INTERVENTION", (EXAM, ASSESSMENT)),
        ("RESPONSE", (RESPONSE,)),
        ("PLAN", (PLAN,)),
    ),
    "DAP": (
        ("DATA", (*_SUBJECTIVE_FACETS, EXAM)),
        ("ASSESSMENT", (ASSESSMENT,)),
        ("PLAN", (PLAN,)),
    ),
    "BEHAVIORAL_SOAP": (
        ("SUBJECTIVE", _SUBJECTIVE_FACETS),
        ("OBJECTIVE", (EXAM,)),
        ("ASSESSMENT", (ASSESSMENT,)),
        ("PLAN", (PLAN,)),
    ),
    "PHYSICAL_SOAP": (
        ("SUBJECTIVE", _SUBJECTIVE_FACETS),
        ("OBJECTIVE", (EXAM,)),
        ("ASSESSMENT", (ASSESSMENT,)),
        ("PLAN", (PLAN,)),
    ),
}

# ---------------------------------------------------------------------------------- lexicon

#: Clinical terms the emulator recognises: (words, Comprehend Medical category, type).
_LEXICON: Final[tuple[tuple[str, str, str], ...]] = (
    ("shortness of breath", "MEDICAL_CONDITION", "DX_NAME"),
    ("sore throat", "MEDICAL_CONDITION", "DX_NAME"),
    ("chest pain", "MEDICAL_CONDITION", "DX_NAME"),
    ("back pain", "MEDICAL_CONDITION", "DX_NAME"),
    ("high blood pressure", "MEDICAL_CONDITION", "DX_NAME"),
    ("viral infection", "MEDICAL_CONDITION", "DX_NAME"),
    ("infection", "MEDICAL_CONDITION", "DX_NAME"),
    ("hypertension", "MEDICAL_CONDITION", "DX_NAME"),
    ("diabetes", "MEDICAL_CONDITION", "DX_NAME"),
    ("asthma", "MEDICAL_CONDITION", "DX_NAME"),
    ("cough", "MEDICAL_CONDITION", "DX_NAME"),
    ("fever", "MEDICAL_CONDITION", "DX_NAME"),
    ("headache", "MEDICAL_CONDITION", "DX_NAME"),
    ("nausea", "MEDICAL_CONDITION", "DX_NAME"),
    ("vomiting", "MEDICAL_CONDITION", "DX_NAME"),
    ("dizziness", "MEDICAL_CONDITION", "DX_NAME"),
    ("rash", "MEDICAL_CONDITION", "DX_NAME"),
    ("pain", "MEDICAL_CONDITION", "DX_NAME"),
    ("chills", "MEDICAL_CONDITION", "DX_NAME"),
    ("fatigue", "MEDICAL_CONDITION", "DX_NAME"),
    ("ibuprofen", "MEDICATION", "GENERIC_NAME"),
    ("acetaminophen", "MEDICATION", "GENERIC_NAME"),
    ("aspirin", "MEDICATION", "GENERIC_NAME"),
    ("antibiotics", "MEDICATION", "GENERIC_NAME"),
    ("amoxicillin", "MEDICATION", "GENERIC_NAME"),
    ("lisinopril", "MEDICATION", "GENERIC_NAME"),
    ("metformin", "MEDICATION", "GENERIC_NAME"),
    ("inhaler", "MEDICATION", "GENERIC_NAME"),
    ("rapid strep test", "TEST_TREATMENT_PROCEDURE", "TEST_NAME"),
    ("strep test", "TEST_TREATMENT_PROCEDURE", "TEST_NAME"),
    ("blood pressure", "TEST_TREATMENT_PROCEDURE", "TEST_NAME"),
    ("temperature", "TEST_TREATMENT_PROCEDURE", "TEST_NAME"),
    ("electrocardiogram", "TEST_TREATMENT_PROCEDURE", "TEST_NAME"),
    ("x-ray", "TEST_TREATMENT_PROCEDURE", "TEST_NAME"),
    ("x ray", "TEST_TREATMENT_PROCEDURE", "TEST_NAME"),
    ("lungs", "ANATOMY", "SYSTEM_ORGAN_SITE"),
    ("throat", "ANATOMY", "SYSTEM_ORGAN_SITE"),
    ("chest", "ANATOMY", "SYSTEM_ORGAN_SITE"),
    ("heart", "ANATOMY", "SYSTEM_ORGAN_SITE"),
    ("ears", "ANATOMY", "SYSTEM_ORGAN_SITE"),
    ("abdomen", "ANATOMY", "SYSTEM_ORGAN_SITE"),
)
_SYMPTOMS: Final = tuple(words for words, category, _ in _LEXICON if category == "MEDICAL_CONDITION")

_HISTORY_CUES: Final = (
    "medical problems",
    "history of",
    "i have asthma",
    "i have diabetes",
    "i have high blood pressure",
    "i have hypertension",
    "inhaler",
    "surgery",
    "i take",
    "allergic",
    "allergies",
    "diagnosed",
)
_EXAM_CUES: Final = (
    "lungs",
    "exam",
    "test is",
    "test was",
    "negative",
    "positive",
    "looks",
    "look normal",
    "clear",
    "swollen",
    "temperature is",
    "blood pressure is",
    "heart sounds",
    "heart rate",
    "x-ray shows",
    "red",
)
_ASSESSMENT_CUES: Final = (
    "i think",
    "i believe",
    "this is",
    "it is likely",
    "probably",
    "likely",
    "diagnosis",
    "looks like",
    "sounds like",
    "consistent with",
)
_PLAN_CUES: Final = (
    "drink",
    "take ",
    "start",
    "order",
    "come back",
    "follow up",
    "prescribe",
    "we will",
    "we'll",
    "rest",
    "return",
    "schedule",
    "refer",
    "continue",
    "stop ",
    "avoid",
)
_TIMING: Final = re.compile(
    r"\b(days?|weeks?|months?|years?|since|ago|last night|yesterday|started|began)\b", re.IGNORECASE
)
_NEGATION: Final = re.compile(
    r"\b(?:no|denies|without|not any)\s+((?:\w+\s){0,3}?\w+)(?=\s+(?:and|or|but)\b|$)", re.IGNORECASE
)
# Phrases that begin a new statement inside a run of recognised words (no punctuation to go by).
_CLAUSE_STARTS: Final = re.compile(
    r"\s+(?=(?:i think|i believe|we will|we'll|let's|come back|please|it looks like|the patient|"
    r"drink|you should|you can)\b)",
    re.IGNORECASE,
)
_QUESTION_STARTS: Final = (
    "do ",
    "does ",
    "did ",
    "have ",
    "has ",
    "are ",
    "is ",
    "what ",
    "how ",
    "when ",
    "where ",
    "any ",
    "can ",
    "could ",
    "tell me",
)


@dataclass(frozen=True)
class ConversationTurn:
    """One transcript segment as the note engine reads it.

    Attributes:
        segment_id: The segment's ``SegmentId``.
        role: Its ``ParticipantRole`` (``"CLINICIAN_0"``, ``"PATIENT_0"``, ...).
        text: Its ``Content`` (as written in the transcript, after any vocabulary filter).
    """

    segment_id: str
    role: str
    text: str

    @property
    def is_clinician(self) -> bool:
        """Whether a clinician said it."""
        return self.role.startswith("CLINICIAN")


@dataclass(frozen=True)
class _Clause:
    turn_index: int
    text: str  # lower case, no punctuation
    facet: str | None


def _plain(text: str) -> str:
    """The words of ``text`` without punctuation, as written (a vocabulary's ``DisplayAs`` is kept)."""
    words = re.sub(r"[^\w'*\s-]", " ", text).split()
    # The transcript capitalises each segment's first word; a note sentence may not start with it.
    if words and words[0] != "I" and words[0][:1].isupper() and words[0][1:].islower():
        words[0] = words[0].lower()
    return " ".join(words)


def _contains(text: str, cues: Iterable[str]) -> bool:
    padded = f" {text.lower()} "
    return any(f" {cue.strip()} " in padded or (cue.endswith(" ") and f" {cue}" in padded) for cue in cues)


def _symptoms_in(text: str) -> list[str]:
    found: list[str] = []
    padded = f" {text.lower()} "
    for symptom in _SYMPTOMS:
        if f" {symptom} " in padded and not any(symptom in longer for longer in found):
            found.append(symptom)
    return found


def _is_question(text: str) -> bool:
    text = text.lower()
    return text.startswith(_QUESTION_STARTS) or (" any " in f" {text} " and text.startswith(("have", "do")))


def _split_clauses(text: str) -> list[str]:
    return [part for part in _CLAUSE_STARTS.split(_plain(text)) if part]


def _facet_of(clause: str, turn: ConversationTurn, complaint_found: bool, after_clinical_talk: bool) -> str | None:
    if turn.is_clinician:
        if _is_question(clause):
            return None
        if _contains(clause, _PLAN_CUES) and not _contains(clause, ("i think", "this is")):
            return PLAN
        if _contains(clause, _ASSESSMENT_CUES):
            return ASSESSMENT
        if _contains(clause, _EXAM_CUES):
            return EXAM
        return None
    symptoms = _symptoms_in(clause)
    if _NEGATION.search(clause) and not (symptoms and not complaint_found):
        return NEGATIVES
    if _contains(clause, _HISTORY_CUES):
        return PAST_HISTORY
    if symptoms and not complaint_found:
        return COMPLAINT
    if symptoms or _TIMING.search(clause):
        return HISTORY
    # Whatever the patient says once the clinician has examined, assessed or advised is a response.
    return RESPONSE if after_clinical_talk and clause else None


def _classify(turns: Sequence[ConversationTurn]) -> list[_Clause]:
    clauses: list[_Clause] = []
    complaint_found = False
    after_clinical_talk = False
    for index, turn in enumerate(turns):
        for text in _split_clauses(turn.text):
            facet = _facet_of(text, turn, complaint_found, after_clinical_talk)
            if facet == COMPLAINT:
                complaint_found = True
            if facet in (EXAM, ASSESSMENT, PLAN):
                after_clinical_talk = True
            clauses.append(_Clause(index, text, facet))
    return clauses


def transcript_section(turn: ConversationTurn) -> str:
    """The ``SectionDetails.SectionName`` of a transcript segment, from the same cues as the note."""
    sections = []
    complaint_found = not turn.is_clinician  # a lone patient turn with symptoms is history here
    for text in _split_clauses(turn.text):
        facet = _facet_of(text, turn, complaint_found, after_clinical_talk=False)
        asks_history = _symptoms_in(text) or _contains(text, _HISTORY_CUES)
        if facet is None and turn.is_clinician and _is_question(text) and asks_history:
            facet = HISTORY
        sections.append(facet)
    if any(facet in (ASSESSMENT, PLAN) for facet in sections):
        return "ASSESSMENT_AND_PLAN"
    if EXAM in sections:
        return "OBJECTIVE"
    if any(facet in (COMPLAINT, HISTORY, NEGATIVES, PAST_HISTORY) for facet in sections):
        return "SUBJECTIVE"
    return "OTHER"


# ---------------------------------------------------------------------------------- wording

_PATIENT_VERBS: Final = {
    "have": "has",
    "am": "is",
    "do": "does",
    "use": "uses",
    "take": "takes",
    "feel": "feels",
    "get": "gets",
    "had": "had",
    "was": "was",
    "think": "thinks",
    "want": "wants",
    "need": "needs",
    "go": "goes",
    "don't": "does not",
    "can't": "cannot",
    "haven't": "has not",
    "didn't": "did not",
}


def _third_person(clause: str) -> str:
    """A patient's clause about themselves, as a note states it ("i have had" -> "has had")."""
    words = clause.split()
    out: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.lower() in ("i", "i'm", "i've"):
            if word.lower() == "i'm":
                out.append("is")
            elif word.lower() == "i've":
                out.append("has")
            elif index + 1 < len(words):
                following = words[index + 1]
                verb = _PATIENT_VERBS.get(following.lower())
                out.append(verb or following + ("" if following.endswith("s") else "s"))
                index += 1
            index += 1
            continue
        out.append({"my": "their", "me": "them", "myself": "themselves"}.get(word.lower(), word))
        index += 1
    return " ".join(out)


def _second_to_third(clause: str) -> str:
    """A clinician's words to the patient, as a note states them ("your throat" -> "the throat")."""
    replaced = []
    for word in clause.split():
        replaced.append(
            {"your": "the", "you": "the patient", "you're": "the patient is", "yourself": "themselves"}.get(
                word.lower(), word
            )
        )
    text = " ".join(replaced)
    return re.sub(r"\bthe patient are\b", "the patient is", text)


def _sentence(text: str) -> str:
    text = " ".join(text.split()).strip(" ,")
    if not text:
        return ""
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _summarize(clause: _Clause, turn: ConversationTurn, *, brief: bool) -> str:
    text = clause.text
    if clause.facet == COMPLAINT and brief:
        symptoms = _symptoms_in(text)
        if symptoms:
            return _sentence(" and ".join(symptoms))
    if turn.is_clinician:
        if clause.facet == ASSESSMENT:
            stripped = re.sub(r"^(i think|i believe)( that)?\s+", "", text, flags=re.IGNORECASE)
            stripped = re.sub(r"^(this is|it is|it's)\s+", "", stripped, flags=re.IGNORECASE)
            return _sentence(("likely " if stripped != text else "") + _second_to_third(stripped))
        if clause.facet == PLAN:
            return _sentence("the patient was advised to " + _second_to_third(text))
        return _sentence(_second_to_third(text))
    if clause.facet == NEGATIVES:
        negated = [match.group(1) for match in _NEGATION.finditer(text)]
        if negated:
            return _sentence("the patient denies " + " and ".join(negated))
    if clause.facet == RESPONSE:
        return _sentence("the patient " + ("expressed thanks" if text.lower().startswith("thank") else "said: " + text))
    spoken = _third_person(text)
    if spoken != text:
        return _sentence("the patient " + spoken)
    return _sentence("the patient reports " + text)


def build_clinical_documentation(
    turns: Sequence[ConversationTurn], template: str = "HISTORY_AND_PHYSICAL"
) -> dict[str, Any]:
    """The ``summary.json`` of a conversation: ``{"ClinicalDocumentation": {"Sections": [...]}}``.

    Args:
        turns: The transcript's segments in time order.
        template: One of :data:`NOTE_TEMPLATES`.

    Returns:
        AWS's clinical-documentation shape; every ``EvidenceLinks`` entry names one of ``turns``.
        ``ClinicalDocumentation.Metadata`` marks it as emulated (AWS's own files have no such key;
        readers ignore keys they do not know).

    Raises:
        ValueError: ``template`` is not a HealthScribe note template.
    """
    if template not in TEMPLATE_SECTIONS:
        raise ValueError(f"template must be one of {', '.join(NOTE_TEMPLATES)}, got {template!r}")
    clauses = _classify(turns)
    sections: list[dict[str, Any]] = []
    for name, facets in TEMPLATE_SECTIONS[template]:
        summary: list[dict[str, Any]] = []
        for clause in clauses:
            if clause.facet not in facets:
                continue
            turn = turns[clause.turn_index]
            sentence = _summarize(clause, turn, brief=name in _BRIEF_SECTIONS)
            if not sentence or sentence.strip("*. ") == "":
                continue
            evidence = [turn.segment_id]
            previous = turns[clause.turn_index - 1] if clause.turn_index > 0 else None
            # A patient's answer reads with the question it answers, as AWS links several segments.
            if (
                not turn.is_clinician
                and previous is not None
                and previous.is_clinician
                and any(_is_question(part) for part in _split_clauses(previous.text))
            ):
                evidence.insert(0, previous.segment_id)
            if summary and summary[-1]["SummarizedSegment"] == sentence:
                continue
            summary.append({"EvidenceLinks": [{"SegmentId": sid} for sid in evidence], "SummarizedSegment": sentence})
        if summary:
            sections.append({"SectionName": name, "Summary": summary})
    return {
        "ClinicalDocumentation": {
            "Sections": sections,
            "Metadata": {"Emulated": True, "NoteTemplate": template, "Notice": EMULATED_NOTICE},
        }
    }


def clinical_insights(turns: Sequence[ConversationTurn], namespace: uuid.UUID) -> list[dict[str, Any]]:
    """The transcript's ``ClinicalInsights``: every lexicon term found in a segment's ``Content``.

    Offsets are character positions in ``Content``, end-inclusive as in AWS's example ("pain"
    12 -> 15). Insight ids are UUIDs derived from ``namespace``, so a job's output is reproducible.
    """
    insights: list[dict[str, Any]] = []
    for turn in turns:
        lowered = turn.text.lower()
        taken: list[tuple[int, int]] = []
        for words, category, kind in _LEXICON:
            for match in re.finditer(rf"(?<![\w*]){re.escape(words)}(?![\w*])", lowered):
                begin, end = match.start(), match.end() - 1
                if any(begin <= stop and start <= end for start, stop in taken):
                    continue
                taken.append((begin, end))
                insights.append(
                    {
                        "Attributes": [],
                        "Category": category,
                        "InsightId": str(uuid.uuid5(namespace, f"insight/{turn.segment_id}/{begin}")),
                        "InsightType": "ClinicalEntity",
                        "Spans": [
                            {
                                "BeginCharacterOffset": begin,
                                "Content": turn.text[begin : end + 1],
                                "EndCharacterOffset": end,
                                "SegmentId": turn.segment_id,
                            }
                        ],
                        "Type": kind,
                    }
                )
    return insights
