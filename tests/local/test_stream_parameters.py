"""The emulator validates every streaming query parameter as the service does."""

from __future__ import annotations

import pytest

from transcribe_medical.local.stream_parameters import ParameterError, parse_stream_parameters
from transcribe_medical.models.enums import MediaEncoding, Specialty, TranscriptionType

BASE = {
    "language-code": "en-US",
    "media-encoding": "pcm",
    "sample-rate": "16000",
    "specialty": "PRIMARYCARE",
    "type": "DICTATION",
}


def parse(**changes: str | None) -> object:
    query = dict(BASE)
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return parse_stream_parameters(query.items())


def test_minimal_request_and_defaults() -> None:
    params = parse_stream_parameters(BASE.items())
    assert params.media_encoding is MediaEncoding.PCM
    assert params.sample_rate == 16000
    assert params.specialty is Specialty.PRIMARYCARE
    assert params.type is TranscriptionType.DICTATION
    assert (params.show_speaker_label, params.enable_channel_identification, params.number_of_channels) == (
        False,
        False,
        1,
    )
    assert params.session_id is None and not params.identify_phi


def test_every_optional_parameter() -> None:
    params = parse_stream_parameters(
        [
            *BASE.items(),
            ("enable-channel-identification", "true"),
            ("number-of-channels", "2"),
            ("session-id", "8c2bd5a3-0e3d-4c9e-9d3b-2f1c7a6e5b40"),
            ("vocabulary-name", "cardio.terms-1"),
            ("content-identification-type", "PHI"),
            ("X-Amz-Signature", "ignored"),
        ]
    )
    assert params.number_of_channels == 2 and params.enable_channel_identification
    assert params.vocabulary_name == "cardio.terms-1" and params.identify_phi
    assert params.session_id == "8c2bd5a3-0e3d-4c9e-9d3b-2f1c7a6e5b40"


@pytest.mark.parametrize("specialty", [s.value for s in Specialty])
def test_every_streaming_specialty_is_accepted(specialty: str) -> None:
    assert parse(specialty=specialty).specialty.value == specialty  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"language_code": None}, "Value null at 'languageCode' failed to satisfy constraint: Member must not be null"),
        ({"media_encoding": None}, "Value null at 'mediaEncoding'"),
        ({"sample_rate": None}, "Value null at 'mediaSampleRateHertz'"),
        ({"specialty": None}, "Value null at 'specialty'"),
        ({"type": None}, "Value null at 'type'"),
        (
            {"language_code": "fr-FR"},
            "Value 'fr-FR' at 'languageCode' failed to satisfy constraint: Member must satisfy enum value set: [en-US]",
        ),
        ({"media_encoding": "mp3"}, "Value 'mp3' at 'mediaEncoding'"),
        ({"media_encoding": "PCM"}, "Value 'PCM' at 'mediaEncoding'"),
        ({"sample_rate": "8000"}, "Member must have value greater than or equal to 16000"),
        ({"sample_rate": "96000"}, "Member must have value less than or equal to 48000"),
        ({"sample_rate": "16k"}, "Value '16k' at 'mediaSampleRateHertz' failed to satisfy constraint: Member must be"),
        ({"specialty": "DERMATOLOGY"}, "Value 'DERMATOLOGY' at 'specialty'"),
        ({"specialty": "primarycare"}, "Value 'primarycare' at 'specialty'"),
        ({"type": "MONOLOGUE"}, "Value 'MONOLOGUE' at 'type'"),
        ({"show_speaker_label": "yes"}, "Value 'yes' at 'showSpeakerLabel'"),
        ({"enable_channel_identification": "1"}, "Value '1' at 'enableChannelIdentification'"),
        ({"enable_channel_identification": "true"}, "EnableChannelIdentification requires NumberOfChannels"),
        ({"number_of_channels": "2"}, "NumberOfChannels requires EnableChannelIdentification=true"),
        ({"enable_channel_identification": "true", "number_of_channels": "1"}, "greater than or equal to 2"),
        ({"enable_channel_identification": "true", "number_of_channels": "3"}, "less than or equal to 2"),
        (
            {"show_speaker_label": "true", "enable_channel_identification": "true", "number_of_channels": "2"},
            "ShowSpeakerLabel and EnableChannelIdentification can't be used together",
        ),
        ({"session_id": "not-a-uuid"}, "Value 'not-a-uuid' at 'sessionId'"),
        ({"vocabulary_name": "bad name"}, "Value 'bad name' at 'vocabularyName'"),
        ({"vocabulary_name": "v" * 201}, "Member must have length between 1 and 200"),
        ({"content_identification_type": "PII"}, "Value 'PII' at 'contentIdentificationType'"),
        ({"specialty": "RADIOLOGY", "type": "CONVERSATION"}, "RADIOLOGY specialty is available for DICTATION only"),
        ({"favorite_color": "blue"}, "Unrecognized query parameter 'favorite-color'"),
    ],
)
def test_invalid_parameters_get_aws_like_messages(changes: dict[str, str | None], expected: str) -> None:
    with pytest.raises(ParameterError) as caught:
        parse(**changes)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(("1 validation error detected: ", "2 validation errors detected: "))


def test_repeated_parameter_and_several_problems_are_all_reported() -> None:
    with pytest.raises(ParameterError) as caught:
        parse_stream_parameters([*BASE.items(), ("type", "DICTATION"), ("language-code", "de-DE")])
    message = str(caught.value)
    assert message.startswith("2 validation errors detected")
    assert "appears more than once" in message


def test_radiology_dictation_is_fine() -> None:
    assert parse(specialty="RADIOLOGY").specialty is Specialty.RADIOLOGY  # type: ignore[attr-defined]
