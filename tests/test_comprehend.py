"""Comprehend Medical hand-off, tested with botocore's Stubber (moto has no Comprehend Medical)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from transcribe_medical import LimitExceededError, TranscribeMedical, ValidationError
from transcribe_medical._config import ClientConfig, RetryPolicy
from transcribe_medical.comprehend import analyze_transcript, split_text
from transcribe_medical.models.transcript import Item, Segment, Transcript


def _segment(words: list[tuple[str, float, float]], end_mark: str = ".") -> Segment:
    items = [Item(start=s, end=e, content=w, type="pronunciation", confidence=0.99) for w, s, e in words]
    items.append(Item(content=end_mark, type="punctuation"))
    text = " ".join(w for w, _, _ in words) + end_mark
    return Segment(start=words[0][1], end=words[-1][2], text=text, items=items)


def _transcript() -> Transcript:
    return Transcript(
        segments=[
            _segment([("Patient", 0.0, 0.4), ("reports", 0.4, 0.8), ("chest", 0.8, 1.1), ("pain", 1.1, 1.5)]),
            _segment([("Start", 2.0, 2.3), ("aspirin", 2.3, 2.9), ("daily", 2.9, 3.3)]),
        ]
    )


def _client() -> TranscribeMedical:
    policy = RetryPolicy(max_attempts=2, initial_backoff=0.0, max_backoff=0.0)
    return TranscribeMedical(config=ClientConfig(retry=policy))


def _entity(text: str, begin: int, category: str, **extra: Any) -> dict[str, Any]:
    return {
        "Id": 0,
        "BeginOffset": begin,
        "EndOffset": begin + len(text),
        "Score": 0.97,
        "Text": text,
        "Category": category,
        "Type": extra.pop("Type", "DX_NAME"),
        "Traits": [],
        "Attributes": [],
        **extra,
    }


def test_entities_are_mapped_to_segments_and_times() -> None:
    transcript = _transcript()
    client = _client()
    text = transcript.text
    assert text == "Patient reports chest pain. Start aspirin daily."
    with Stubber(client.boto3_client("comprehendmedical")) as stub:
        stub.add_response(
            "detect_entities_v2",
            {
                "Entities": [
                    _entity("chest pain", text.index("chest"), "MEDICAL_CONDITION"),
                    _entity("aspirin", text.index("aspirin"), "MEDICATION", Type="GENERIC_NAME"),
                ],
                "ModelVersion": "2.0.0",
            },
            {"Text": text},
        )
        stub.add_response(
            "infer_rx_norm",
            {
                "Entities": [
                    _entity(
                        "aspirin",
                        text.index("aspirin"),
                        "MEDICATION",
                        Type="GENERIC",
                        RxNormConcepts=[{"Code": "1191", "Description": "aspirin", "Score": 0.9}],
                    )
                ]
            },
            {"Text": text},
        )
        analysis = analyze_transcript(transcript, client, rxnorm=True)
        stub.assert_no_pending_responses()
    pain, aspirin = analysis.entities
    assert (pain.segment_index, pain.start_time, pain.end_time) == (0, 0.8, 1.5)
    assert (aspirin.segment_index, aspirin.start_time, aspirin.end_time) == (1, 2.3, 2.9)
    assert analysis.rxnorm[0].concepts[0].code == "1191"
    assert analysis.requests == 2
    assert "aspirin" not in repr(analysis) and "aspirin" not in repr(aspirin)


def test_long_transcripts_are_split_within_the_limit() -> None:
    sentence = [("word", float(i), float(i) + 0.5) for i in range(10)]
    transcript = Transcript(segments=[_segment(sentence) for _ in range(600)])  # ~ 30,000 characters
    client = _client()
    sent: list[str] = []
    with Stubber(client.boto3_client("comprehendmedical")) as stub:
        for chunk in split_text(transcript.text, 20_000):
            sent.append(chunk.text)
            stub.add_response("detect_entities_v2", {"Entities": [], "ModelVersion": "2.0.0"}, {"Text": chunk.text})
        analysis = analyze_transcript(transcript, client)
    assert analysis.requests == len(sent) == 2
    assert all(len(t.encode()) <= 20_000 and t.endswith(".") for t in sent)


def test_throttling_is_retried_and_reported() -> None:
    client = _client()
    with Stubber(client.boto3_client("comprehendmedical")) as stub:
        for _ in range(2):
            stub.add_client_error("detect_entities_v2", "TooManyRequestsException", "slow down", 400)
        with pytest.raises(LimitExceededError):
            analyze_transcript(_transcript(), client)
        stub.assert_no_pending_responses()


def test_empty_transcript_makes_no_request() -> None:
    assert analyze_transcript(Transcript(), _client()).requests == 0


@given(st.text(alphabet=st.sampled_from(list("ab .?!é\n")), max_size=300), st.integers(min_value=4, max_value=40))
def test_split_text_keeps_offsets_and_limits(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    for chunk in chunks:
        assert text[chunk.offset : chunk.offset + len(chunk.text)] == chunk.text
        assert len(chunk.text.encode()) <= limit
    # Nothing but whitespace is dropped, and order is kept.
    assert "".join(c.text for c in chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert [c.offset for c in chunks] == sorted(c.offset for c in chunks)


def test_split_text_rejects_tiny_limits() -> None:
    with pytest.raises(ValidationError, match="max_bytes"):
        split_text("abc", 2)
