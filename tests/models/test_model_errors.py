"""No pydantic error escapes a public model: every entry point raises our ValidationError.

DESIGN.md, Validation: building any public model with bad input raises
``transcribe_medical.ValidationError`` (one line: field, bad value, what is allowed) with pydantic's
error as ``__cause__`` — from the constructor, ``model_validate``, ``model_validate_json``,
``model_validate_strings`` and assignment alike. The property tests feed every model arbitrary JSON.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transcribe_medical import (
    JobSettings,
    MedicalTranscriptionJob,
    StartJobRequest,
    StreamConfig,
    Transcript,
    TranscriptEvent,
    ValidationError,
)
from transcribe_medical.models._base import _ConvertingModel

# Import every module that defines public models, so that every subclass is found below.
for _package in ("transcribe_medical.models", "transcribe_medical.scribe"):
    for _module in pkgutil.walk_packages(importlib.import_module(_package).__path__, f"{_package}."):
        importlib.import_module(_module.name)
importlib.import_module("transcribe_medical.comprehend")


def _subclasses(cls: type[Any]) -> list[type[Any]]:
    found: list[type[Any]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


MODELS = sorted(
    {model for model in _subclasses(_ConvertingModel) if not model.__name__.startswith("_")},
    key=lambda model: f"{model.__module__}.{model.__qualname__}",
)


def test_the_public_models_are_all_found() -> None:
    names = {model.__name__ for model in MODELS}
    assert {
        "StreamConfig",
        "StartJobRequest",
        "JobSettings",
        "MedicalTranscriptionJob",
        "MedicalVocabulary",
        "Transcript",
        "Segment",
        "Item",
        "Alternative",
        "Entity",
        "TranscriptEvent",
        "ReviewFlag",
    } <= names


def _keys(model: type[pydantic.BaseModel]) -> list[str]:
    keys: list[str] = []
    for name, info in model.model_fields.items():
        keys.append(name)
        if info.alias:
            keys.append(info.alias)
    return keys


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["", "en-US", "PRIMARYCARE", "pcm", "16000", "s3://bucket-1/a.wav", "spk_0", "ch_1", "0"]),
)
_json_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _documents(draw: st.DrawFn, model: type[pydantic.BaseModel]) -> Any:
    """Mostly objects with the model's own keys (so that validation gets deep), sometimes anything."""
    if draw(st.integers(0, 4)) == 0:
        return draw(_json_values)
    keys = st.one_of(st.sampled_from(_keys(model)), st.text(max_size=8)) if _keys(model) else st.text(max_size=8)
    return draw(st.dictionaries(keys, _json_values, max_size=6))


def _assert_ours(error: ValidationError) -> None:
    assert type(error).__module__.startswith("transcribe_medical")
    assert "\n" not in str(error)
    assert (
        isinstance(error.__cause__, pydantic.ValidationError)
        or error.__cause__ is None
        or isinstance(error.__cause__, ValidationError)
    )


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_arbitrary_json_is_accepted_or_refused_with_our_error(model: type[Any], data: st.DataObject) -> None:
    document = data.draw(_documents(model))
    text = json.dumps(document)
    for call in (
        lambda: model.model_validate_json(text),
        lambda: model.model_validate_json(text.encode()),
        lambda: model.model_validate(document),
        lambda: model(**document) if isinstance(document, dict) and all(isinstance(k, str) for k in document) else None,
    ):
        try:
            call()
        except ValidationError as error:
            _assert_ours(error)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_arbitrary_strings_are_accepted_or_refused_with_our_error(model: type[Any], data: st.DataObject) -> None:
    keys = _keys(model) or ["x"]
    document = data.draw(st.dictionaries(st.sampled_from(keys), st.text(max_size=10), max_size=4))
    try:
        model.model_validate_strings(document)
    except ValidationError as error:
        _assert_ours(error)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"[1, 2]", b'"text"', b"{" * 300 + b"}" * 300, b"1e999"])
def test_bytes_that_are_no_object_are_refused_with_our_error(model: type[Any], raw: bytes) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(raw)
    _assert_ours(caught.value)
    assert isinstance(caught.value.__cause__, pydantic.ValidationError)


def test_the_example_of_the_issue() -> None:
    with pytest.raises(ValidationError) as caught:
        StreamConfig.model_validate_json('{"sample_rate": 1}')
    assert str(caught.value) == "sample_rate: 1 is invalid: use a whole number from 16000 to 48000 Hz (or leave it out)"
    assert caught.value.field == "sample_rate"
    assert isinstance(caught.value.__cause__, pydantic.ValidationError)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: StreamConfig.model_validate_strings({"sample_rate": "eight thousand"}),
            "sample_rate: 'eight thousand'",
        ),
        (lambda: StartJobRequest.model_validate_json('{"job_name": "a b"}'), "job_name: 'a b' is invalid"),
        (lambda: JobSettings.model_validate_json('{"MaxSpeakerLabels": 40}'), "max_speakers: 40 is invalid"),
        (lambda: StreamConfig(colour="blue"), "colour: unknown field 'colour'"),
        (
            lambda: TranscriptEvent.model_validate_json('{"Transcript": {"Results": [{"ResultId": 1}]}}'),
            "Transcript.Results[0].ResultId",
        ),
    ],
)
def test_each_entry_point_names_the_field(call: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert message in str(caught.value)


def test_models_that_hold_text_never_echo_it() -> None:
    with pytest.raises(ValidationError) as caught:
        Transcript.model_validate_json(
            '{"segments": [{"start": 0, "end": 1, "text": "SECRETWORD", "speaker": "Dr X"}]}'
        )
    assert "SECRETWORD" not in str(caught.value) and "Dr X" not in str(caught.value)
    assert "segments[0].speaker" in str(caught.value)


def test_assigning_to_a_frozen_request_raises_our_error() -> None:
    request = StartJobRequest(job_name="j", media_uri="s3://bucket-1/a.wav", output_bucket="bucket-2")
    with pytest.raises(ValidationError, match="job_name"):
        request.job_name = "other"  # type: ignore[misc]


def test_a_status_aws_adds_later_is_kept_as_a_string() -> None:
    job = MedicalTranscriptionJob.model_validate_json(
        '{"MedicalTranscriptionJobName": "j", "TranscriptionJobStatus": "PAUSED", "Specialty": "DERMATOLOGY"}'
    )
    assert (job.status, job.specialty, job.is_done) == ("PAUSED", "DERMATOLOGY", False)
