"""One mechanism for wording: the library speaks API words, the CLI its own option names."""

from __future__ import annotations

from pathlib import Path

import pytest

from transcribe_medical import StreamConfig, TranscribeMedical, ValidationError
from transcribe_medical.cli import main
from transcribe_medical.cli.wording import CliOption, cli_words

OPTIONS = {
    "sample_rate": CliOption("--sample-rate", is_flag=False),
    "channel_identification": CliOption("--channel-identification", is_flag=True),
    "show_speaker_labels": CliOption("--speaker-labels", is_flag=True),
    "max_speakers": CliOption("--max-speakers", is_flag=False),
    "region_name": CliOption("--region", is_flag=False),
    "region": CliOption("--region", is_flag=False),
    "type": CliOption("--type", is_flag=False),
}


@pytest.mark.parametrize(
    ("api", "cli"),
    [
        ("sample_rate: 8000 is invalid: use 16000-48000", "--sample-rate 8000 is invalid: use 16000-48000"),
        (
            "channel_identification: True is invalid together with show_speaker_labels=True; not both",
            "--channel-identification is invalid together with --speaker-labels; not both",
        ),
        (
            "max_speakers: None is invalid with show_speaker_labels=True",
            "--max-speakers is required with --speaker-labels",
        ),
        (
            "x.wav has no header: pass sample_rate= (16000-48000 Hz)",
            "x.wav has no header: pass --sample-rate (16000-48000 Hz)",
        ),
        (
            "the audio is 44100 Hz; omit sample_rate= to use the file's",
            "the audio is 44100 Hz; omit --sample-rate to use the file's",
        ),
        (
            "region: none configured; pass region_name= or set AWS_REGION",
            "--region: none configured; pass --region or set AWS_REGION",
        ),
        ("settings.max_speakers: 40 is invalid: 2-30", "--max-speakers 40 is invalid: 2-30"),
        # A keyword that ends a clause keeps its colon, and a switch set to True is still the switch.
        (
            "max_speakers: None is invalid with show_speaker_labels=True: give 2-30",
            "--max-speakers is required with --speaker-labels: give 2-30",
        ),
        (
            "max_speakers: 3 is invalid without show_speaker_labels=True: leave it out",
            "--max-speakers 3 is invalid without --speaker-labels: leave it out",
        ),
        ("a region_name='eu-west-1': not served here", "a --region 'eu-west-1': not served here"),
        # Words that are also option names are left alone outside those shapes.
        (
            "the type of audio is unknown; region and sample rate too",
            "the type of audio is unknown; region and sample rate too",
        ),
        ("vocabulary_name: 'x y' is invalid", "vocabulary_name: 'x y' is invalid"),  # not an option here
        # A bare mention of a name with an underscore is the option too; a dotted path's tail or a
        # longer identifier that merely contains one is not.
        (
            "--filter-method 'mask' is invalid without a sample_rate: name it",
            "--filter-method 'mask' is invalid without a --sample-rate: name it",
        ),
        ("give max_speakers too, or leave it out", "give --max-speakers too, or leave it out"),
        ("settings.sample_rate_hz and my_sample_rate stay", "settings.sample_rate_hz and my_sample_rate stay"),
        ("sample_rate/other_name: both set", "sample_rate/other_name: both set"),
    ],
)
def test_api_words_become_cli_words(api: str, cli: str) -> None:
    assert cli_words(api, OPTIONS) == cli


def test_the_library_speaks_api_words_only() -> None:
    with pytest.raises(ValidationError) as raised:
        StreamConfig(sample_rate=16000).to_query()
    assert "media_encoding=" in str(raised.value) and "--" not in str(raised.value)
    with pytest.raises(ValidationError) as raised:
        StreamConfig().for_audio("pcm", 16000, 2)
    assert "channel_identification=True" in str(raised.value) and "--" not in str(raised.value)


def test_no_region_names_the_keyword_in_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(ValidationError) as raised:
        _ = TranscribeMedical().region_name
    assert "region_name=" in str(raised.value) and "--region" not in str(raised.value)


def test_no_region_names_the_option_in_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert main(["jobs", "list", "--endpoint-url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "pass --region or set AWS_REGION" in err and "region_name" not in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--speaker-labels", "--max-speakers", "2", "--channel-identification"],
            "--channel-identification is invalid together with --speaker-labels",
        ),
        (["--sample-rate", "8000"], "--sample-rate 8000 is invalid"),
        (["--max-speakers", "40", "--speaker-labels"], "--max-speakers 40 is invalid"),
    ],
)
def test_cli_messages_use_option_names(capsys: pytest.CaptureFixture[str], argv: list[str], expected: str) -> None:
    base = ["jobs", "start", "visit-1", "s3://media-bucket/a.wav", "--output-bucket", "out-bucket"]
    assert main([*base, *argv, "--endpoint-url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "_" not in err.split(":", 1)[1].split(";")[0]  # no snake_case API name in what is wrong


def test_an_argument_is_named_by_its_metavar(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["jobs", "start", "visit-1", "https://x/y.wav", "--output-bucket", "out-bucket"]
    assert main([*argv, "--endpoint-url", "http://127.0.0.1:9"]) == 2
    assert "MEDIA_URI 'https://x/y.wav' is invalid" in capsys.readouterr().err
