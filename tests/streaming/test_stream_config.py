"""StreamConfig: validation at the edge and the exact wire query (reference §3.2)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from transcribe_medical import AudioFormatError, StreamConfig, ValidationError
from transcribe_medical.models.enums import MediaEncoding, Specialty, TranscriptionType

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
PRESIGN = json.loads((VECTORS / "sigv4_presign.json").read_text())


def _config_for(query: dict[str, str]) -> StreamConfig:
    return StreamConfig(
        specialty=query["specialty"],
        type=query["type"],
        media_encoding=query["media-encoding"],
        sample_rate=int(query["sample-rate"]),
        show_speaker_labels=query.get("show-speaker-label") == "true",
        channel_identification=query.get("enable-channel-identification") == "true",
        session_id=query.get("session-id"),
        vocabulary_name=query.get("vocabulary-name"),
        content_identification=query.get("content-identification-type"),
    )


@pytest.mark.parametrize("case", PRESIGN["cases"], ids=lambda case: case["name"])
def test_to_query_gives_the_wire_names_in_aws_order(case: dict[str, Any]) -> None:
    query = _config_for(case["query_params_in"]).to_query()
    assert list(query.items()) == list(case["query_params_in"].items())


@pytest.mark.parametrize("specialty", list(Specialty))
def test_every_specialty_streams(specialty: Specialty) -> None:
    config = StreamConfig(specialty=specialty.value, type="DICTATION")
    assert config.specialty is specialty


@pytest.mark.parametrize("alias", ["pediatrics", "OB-GYN", "family medicine", "Internal Medicine", "primarycare"])
def test_sub_specialties_map_to_primary_care(alias: str) -> None:
    assert StreamConfig(specialty=alias).specialty is Specialty.PRIMARYCARE


def test_unknown_specialty_is_one_line_listing_the_choices() -> None:
    with pytest.raises(ValidationError) as raised:
        StreamConfig(specialty="DERMATOLOGY")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("specialty: 'DERMATOLOGY'")
    assert "CARDIOLOGY" in message and "UROLOGY" in message
    assert message.count("specialty:") == 1


def test_radiology_conversation_is_refused() -> None:
    with pytest.raises(ValidationError, match="RADIOLOGY is offered for DICTATION only"):
        StreamConfig(specialty="RADIOLOGY", type="CONVERSATION")
    assert StreamConfig(specialty="RADIOLOGY", type="DICTATION").type is TranscriptionType.DICTATION


def test_speaker_labels_and_channel_identification_are_exclusive() -> None:
    with pytest.raises(ValidationError, match="cannot be combined") as raised:
        StreamConfig(show_speaker_labels=True, channel_identification=True)
    assert raised.value.field == "channel_identification"


def test_channel_identification_sends_two_channels() -> None:
    config = StreamConfig(channel_identification=True, media_encoding="pcm", sample_rate=16000)
    assert config.number_of_channels == 2
    query = config.to_query()
    assert query["enable-channel-identification"] == "true"
    assert query["number-of-channels"] == "2"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"number_of_channels": 2},
        {"channel_identification": True, "number_of_channels": 3},
        {"sample_rate": 8000},
        {"sample_rate": 48001},
        {"media_encoding": "mp3"},
        {"language_code": "fr-FR"},
        {"type": "MONOLOGUE"},
        {"content_identification": "PII"},
        {"vocabulary_name": "bad name"},
        {"vocabulary_name": "x" * 201},
        {"session_id": "not-a-uuid"},
        {"session_id": str(uuid.uuid4()) + "0"},
        {"unknown_field": 1},
    ],
)
def test_invalid_values_are_refused_with_one_line(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as raised:
        StreamConfig(**kwargs)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_wire_values_are_accepted_in_any_case() -> None:
    config = StreamConfig(type="conversation", media_encoding="PCM", content_identification="phi", sample_rate=16000)
    assert config.type is TranscriptionType.CONVERSATION
    assert config.media_encoding is MediaEncoding.PCM
    assert config.to_query()["content-identification-type"] == "PHI"


def test_session_id_is_generated_once_and_kept() -> None:
    config = StreamConfig(media_encoding="pcm", sample_rate=16000)
    assert config.session_id is None and "session-id" not in config.to_query()
    with_id = config.with_session_id()
    assert uuid.UUID(with_id.session_id or "").version == 4
    assert with_id.with_session_id() is with_id
    assert with_id.to_query()["session-id"] == with_id.session_id


def test_to_query_needs_encoding_and_rate() -> None:
    with pytest.raises(ValidationError, match="media_encoding"):
        StreamConfig(sample_rate=16000).to_query()
    with pytest.raises(ValidationError, match="sample_rate"):
        StreamConfig(media_encoding="flac").to_query()


def test_config_is_immutable() -> None:
    config = StreamConfig()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        config.sample_rate = 16000  # type: ignore[misc]


class TestForAudio:
    def test_fills_encoding_and_rate_from_the_file(self) -> None:
        config = StreamConfig().for_audio(MediaEncoding.PCM, 44100, 1)
        assert (config.media_encoding, config.sample_rate) == (MediaEncoding.PCM, 44100)

    def test_two_channels_without_channel_identification_hint(self) -> None:
        with pytest.raises(AudioFormatError, match="pass channel_identification=True") as raised:
            StreamConfig().for_audio("pcm", 16000, 2)
        assert "\n" not in str(raised.value)

    def test_two_channels_with_channel_identification(self) -> None:
        config = StreamConfig(channel_identification=True).for_audio("pcm", 16000, 2)
        assert config.to_query()["number-of-channels"] == "2"

    def test_channel_identification_on_mono_is_refused(self) -> None:
        with pytest.raises(AudioFormatError, match="needs 2-channel audio"):
            StreamConfig(channel_identification=True).for_audio("pcm", 16000, 1)

    def test_explicit_rate_must_match_the_file(self) -> None:
        with pytest.raises(AudioFormatError, match="44100 Hz"):
            StreamConfig(sample_rate=16000).for_audio("pcm", 44100, 1)

    def test_explicit_encoding_must_match_the_file(self) -> None:
        with pytest.raises(AudioFormatError, match="flac"):
            StreamConfig(media_encoding="pcm").for_audio("flac", 16000, 1)

    def test_rate_below_the_medical_range(self) -> None:
        with pytest.raises(AudioFormatError, match="16000-48000"):
            StreamConfig().for_audio("pcm", 8000, 1)

    def test_an_encoding_streaming_does_not_take_is_an_audio_format_error(self) -> None:
        with pytest.raises(AudioFormatError, match="'mp3' is not one streaming takes; use pcm, ogg-opus, flac"):
            StreamConfig().for_audio("mp3", 16000, 1)


def test_a_rate_out_of_range_says_what_is_allowed_from_every_entry_point() -> None:
    for call in (
        lambda: StreamConfig(sample_rate=8000),
        lambda: StreamConfig.model_validate({"sample_rate": 8000}),
        lambda: StreamConfig.model_validate_json('{"sample_rate": 8000}'),
        lambda: StreamConfig.model_validate_strings({"sample_rate": "8000"}),
    ):
        with pytest.raises(ValidationError) as raised:
            call()
        assert str(
            raised.value
        ) == "sample_rate: 8000 is invalid: use a whole number from 16000 to 48000 Hz (or leave it out)" or (
            str(raised.value)
            == "sample_rate: '8000' is invalid: use a whole number from 16000 to 48000 Hz (or leave it out)"
        )
