"""Bad input, table-driven: every case gives the documented error class or exit code, one line,
nothing hangs, and nothing is half-written (DESIGN.md: errors and exit codes).

CLI cases point at a closed loopback port: a case that slipped past validation would reach the
network and exit 5 instead of 2, so the table also proves validation happens before any request.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streaming.fake_service import SERVER_LOGGER, FakeTranscribeStreaming, transcript_event_frame, wav_bytes
from transcribe_medical import (
    AudioFormatError,
    JobSettings,
    StartJobRequest,
    StreamConfig,
    TranscribeMedical,
    ValidationError,
)
from transcribe_medical.cli import main

CLOSED = "ws://127.0.0.1:9"  # discard port: nothing listens here
CLOSED_HTTP = "http://127.0.0.1:9"


def _wav(rate: int = 16000, channels: int = 1, bits: int = 16, frames: int = 1600) -> bytes:
    block = channels * bits // 8
    data = b"\x00" * (frames * block)
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


AUDIO_FILES: dict[str, bytes] = {
    "ok.wav": _wav(),
    "empty.wav": b"",
    "truncated.wav": _wav()[:30],
    "notes.wav": b"Patient notes, not audio.\n" * 20,
    "eight_bit.wav": _wav(bits=8),
    "three_channels.wav": _wav(channels=3),
    "stereo.wav": _wav(channels=2),
    "low_rate.wav": _wav(rate=8000),
}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name, data in AUDIO_FILES.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    (tmp_path / "extra.csv").write_text("job_name,media_uri,output_bucket\nx,s3://media-in/a.wav,out-bucket,extra\n")
    (tmp_path / "jobs.txt").write_text("anything\n")
    (tmp_path / "broken.json").write_text('{"results": ')
    (tmp_path / "phrases.txt").write_text("metoprolol\n")
    # Each of these ended in "unexpected error ... (exit 1)" before issue 16.
    (tmp_path / "deep.jsonl").write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    (tmp_path / "deep.json").write_text('{"results": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (tmp_path / "huge_number.jsonl").write_text('{"max_speakers": ' + "9" * 5000 + "}\n")
    (tmp_path / "wide.csv").write_text("job_name,media_uri\nx," + "s" * 200_000 + "\n")
    (tmp_path / "not-sqlite.state").write_bytes(b"not a database\n" * 100)
    (tmp_path / "ok.jsonl").write_text('{"media_uri": "s3://media-in/a.wav", "output_bucket": "out-bucket"}\n')
    (tmp_path / "aws-config").write_text("[default\nregion=")
    return tmp_path


def _stream(*args: str) -> list[str]:
    return ["stream", *args, "--no-realtime", "--endpoint-url", CLOSED]


# (id, argv, exit code, a word the one-line message must contain)
CLI_CASES: list[tuple[str, list[str], int, str]] = [
    ("unknown specialty", _stream("{d}/ok.wav", "--specialty", "dermatology"), 2, "specialty"),
    ("unknown type", _stream("{d}/ok.wav", "--type", "MONOLOGUE"), 2, "type"),
    ("rate below the medical range", _stream("{d}/ok.wav", "--sample-rate", "8000"), 2, "8000"),
    ("unknown encoding", _stream("{d}/ok.wav", "--media-encoding", "mp3"), 2, "encoding"),
    ("empty audio file", _stream("{d}/empty.wav"), 2, "empty.wav"),
    ("truncated WAV header", _stream("{d}/truncated.wav"), 2, "truncated.wav"),
    ("text file named .wav", _stream("{d}/notes.wav"), 2, "notes.wav"),
    ("8-bit WAV", _stream("{d}/eight_bit.wav"), 2, "8"),
    ("3-channel WAV", _stream("{d}/three_channels.wav"), 2, "3 channels"),
    ("WAV at 8 kHz", _stream("{d}/low_rate.wav"), 2, "8000"),
    ("stereo without channel identification", _stream("{d}/stereo.wav"), 2, "--channel-identification"),
    ("rate that contradicts the file", _stream("{d}/ok.wav", "--sample-rate", "44100"), 2, "44100"),
    ("speakers with channels", _stream("{d}/stereo.wav", "--speaker-labels", "--channel-identification"), 2, "speaker"),
    ("missing audio file", _stream("{d}/nope.wav"), 2, "nope.wav"),
    ("bad vocabulary name", _stream("{d}/ok.wav", "--vocabulary-name", "bad name!"), 2, "vocabulary"),
    (
        "radiology conversation",
        _stream("{d}/ok.wav", "--specialty", "RADIOLOGY", "--type", "CONVERSATION"),
        2,
        "RADIOLOGY",
    ),
    (
        "plain ws:// to a remote host",
        ["stream", "{d}/ok.wav", "--endpoint-url", "ws://transcribe.example.com"],
        2,
        "wss://",
    ),
    ("confidence above 1", _stream("{d}/ok.wav", "--min-confidence", "1.5"), 2, "min-confidence"),
    (
        "cardiology batch",
        [
            "transcribe",
            "{d}/ok.wav",
            "--bucket",
            "media-in",
            "--specialty",
            "CARDIOLOGY",
            "--endpoint-url",
            CLOSED_HTTP,
        ],
        2,
        "CARDIOLOGY",
    ),
    (
        "http media URI",
        [
            "jobs",
            "start",
            "j1",
            "http://media-in/a.wav",
            "--output-bucket",
            "out-bucket",
            "--endpoint-url",
            CLOSED_HTTP,
        ],
        2,
        "media_uri",
    ),
    (
        "job name with spaces",
        [
            "jobs",
            "start",
            "my job",
            "s3://media-in/a.wav",
            "--output-bucket",
            "out-bucket",
            "--endpoint-url",
            CLOSED_HTTP,
        ],
        2,
        "name",
    ),
    (
        "31 speakers",
        [
            "jobs",
            "start",
            "j1",
            "s3://media-in/a.wav",
            "--output-bucket",
            "out-bucket",
            "--speaker-labels",
            "--max-speakers",
            "31",
            "--endpoint-url",
            CLOSED_HTTP,
        ],
        2,
        "31",
    ),
    (
        "11 alternatives",
        [
            "jobs",
            "start",
            "j1",
            "s3://media-in/a.wav",
            "--output-bucket",
            "out-bucket",
            "--alternatives",
            "11",
            "--endpoint-url",
            CLOSED_HTTP,
        ],
        2,
        "11",
    ),
    (
        "max speakers without labels",
        [
            "jobs",
            "start",
            "j1",
            "s3://media-in/a.wav",
            "--output-bucket",
            "out-bucket",
            "--max-speakers",
            "3",
            "--endpoint-url",
            CLOSED_HTTP,
        ],
        2,
        "speaker",
    ),
    (
        "upper-case output bucket",
        ["jobs", "start", "j1", "s3://media-in/a.wav", "--output-bucket", "OUT", "--endpoint-url", CLOSED_HTTP],
        2,
        "bucket",
    ),
    ("unknown job status", ["jobs", "list", "--status", "DONE", "--endpoint-url", CLOSED_HTTP], 2, "status"),
    (
        "bad vocabulary name (batch)",
        [
            "vocab",
            "create",
            "bad name",
            "--phrases",
            "{d}/phrases.txt",
            "--bucket",
            "media-in",
            "--endpoint-url",
            CLOSED_HTTP,
        ],
        2,
        "name",
    ),
    ("manifest with bad JSON", ["jobs", "submit-many", "{d}/bad.jsonl", "--endpoint-url", CLOSED_HTTP], 2, "line 1"),
    ("CSV with extra values", ["jobs", "submit-many", "{d}/extra.csv", "--endpoint-url", CLOSED_HTTP], 2, "line 2"),
    ("manifest of unknown type", ["jobs", "submit-many", "{d}/jobs.txt", "--endpoint-url", CLOSED_HTTP], 2, "jsonl"),
    ("convert broken JSON", ["convert", "{d}/broken.json", "--format", "text"], 2, "broken.json"),
    ("convert to an unknown format", ["convert", "{d}/broken.json", "--format", "docx"], 2, "docx"),
    ("manifest nested 100,000 deep", ["jobs", "submit-many", "{d}/deep.jsonl"], 2, "nested too deeply"),
    ("manifest with a 5,000-digit number", ["jobs", "submit-many", "{d}/huge_number.jsonl"], 2, "digits"),
    ("CSV field over the csv module's limit", ["jobs", "submit-many", "{d}/wide.csv"], 2, "wide.csv line 2"),
    (
        "bulk state file that is not SQLite",
        ["jobs", "submit-many", "{d}/ok.jsonl", "--state", "{d}/not-sqlite.state", "--endpoint-url", CLOSED_HTTP],
        2,
        "not-sqlite.state: not a bulk state file",
    ),
    (
        "bulk state file that is a directory",
        ["jobs", "submit-many", "{d}/ok.jsonl", "--state", "{d}", "--endpoint-url", CLOSED_HTTP],
        2,
        "a directory",
    ),
    ("convert JSON nested 100,000 deep", ["convert", "{d}/deep.json", "--format", "text"], 2, "nested too deeply"),
    ("review JSON nested 100,000 deep", ["review", "{d}/deep.json"], 2, "nested too deeply"),
    ("endpoint URL with a broken IPv6 host", ["jobs", "list", "--endpoint-url", "http://[::1"], 2, "IPv6"),
    ("endpoint URL with port 99999", ["jobs", "list", "--endpoint-url", "http://127.0.0.1:99999"], 2, "port"),
    ("endpoint URL without a host", ["jobs", "list", "--endpoint-url", "http://"], 2, "no host"),
    ("endpoint URL of another scheme", ["jobs", "list", "--endpoint-url", "ftp://127.0.0.1:9"], 2, "https://"),
    ("negative --limit", ["jobs", "list", "--limit", "-1", "--endpoint-url", CLOSED_HTTP], 2, "--limit"),
    (
        "wait with a NaN timeout",
        ["jobs", "wait", "j1", "--timeout", "nan", "--endpoint-url", CLOSED_HTTP],
        2,
        "timeout",
    ),
    (
        "wait with a NaN poll interval",
        ["jobs", "wait", "j1", "--poll-interval", "nan", "--endpoint-url", CLOSED_HTTP],
        2,
        "--poll-interval",
    ),
    (
        "submit-many with a NaN timeout",
        ["jobs", "submit-many", "{d}/ok.jsonl", "--wait", "--timeout", "nan", "--endpoint-url", CLOSED_HTTP],
        2,
        "timeout",
    ),
    (
        "submit-many with a negative poll interval",
        ["jobs", "submit-many", "{d}/ok.jsonl", "--wait", "--poll-interval", "-1", "--endpoint-url", CLOSED_HTTP],
        2,
        "--poll-interval",
    ),
    (
        "region that is no region name",
        ["jobs", "list", "--region", "us east 1", "--endpoint-url", CLOSED_HTTP],
        2,
        "region",
    ),
    (
        "streaming region that is no region name",
        ["stream", "{d}/ok.wav", "--region", "us east 1", "--no-realtime"],
        2,
        "region",
    ),
]


@pytest.mark.parametrize(("argv", "code", "word"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input(files: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, word: str) -> None:
    output = files / "out.txt"
    args = [a.format(d=files) for a in argv]
    if args[0] == "stream":
        args += ["-o", str(output)]
    assert main(args) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert word.lower() in err.lower(), err
    assert not output.exists()  # nothing half-written


def test_an_unparseable_aws_config_file_exits_2_naming_it(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(files / "aws-config"))
    assert main(["jobs", "list", "--endpoint-url", CLOSED_HTTP]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"the AWS config file {files / 'aws-config'} cannot be parsed" in err


def test_no_credentials_exits_4(files: Path, capsys: pytest.CaptureFixture[str], no_credentials: None) -> None:
    assert main(_stream(str(files / "ok.wav"))) == 4
    assert capsys.readouterr().err.count("\n") == 1


# API cases: (id, callable, exception class, a word the message must contain)
def _start(**changes: Any) -> Callable[[], object]:
    fields: dict[str, Any] = {"job_name": "j1", "media_uri": "s3://media-in/a.wav", "output_bucket": "out-bucket"}
    fields.update(changes)
    return lambda: StartJobRequest(**fields)


API_CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    ("French", _start(language_code="fr-FR"), ValidationError, "en-US"),
    ("one speaker", lambda: JobSettings(show_speaker_labels=True, max_speakers=1), ValidationError, "2"),
    ("96 kHz stream", lambda: StreamConfig(sample_rate=96000), ValidationError, "48000"),
    ("201 tags", _start(tags={f"k{i}": "v" for i in range(201)}), ValidationError, "200"),
    ("empty KMS context", _start(kms_encryption_context={}), ValidationError, "kms"),
    ("unknown field", _start(colour="blue"), ValidationError, "colour"),
    ("PII instead of PHI", _start(content_identification="PII"), ValidationError, "PHI"),
    ("bad output key", _start(output_key="a b/c.json"), ValidationError, "output_key"),
    (
        "bytes that are not audio",
        lambda: TranscribeMedical().streaming.transcribe_file("/nonexistent/file.wav", StreamConfig()),
        AudioFormatError,
        "file.wav",
    ),
]


@pytest.mark.parametrize(("call", "error", "word"), [c[1:] for c in API_CASES], ids=[c[0] for c in API_CASES])
def test_api_bad_input(call: Callable[[], object], error: type[Exception], word: str) -> None:
    with pytest.raises(error) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    assert word.lower() in message.lower(), message


@pytest.fixture
def service() -> Iterator[FakeTranscribeStreaming]:
    # The fake server logs its own handler failures; they are not the CLI's output.
    logging.getLogger(SERVER_LOGGER).disabled = True
    fake = FakeTranscribeStreaming({os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]})
    fake.start()
    yield fake
    fake.stop()
    logging.getLogger(SERVER_LOGGER).disabled = False


def _corrupt_crc() -> bytes:
    frame = bytearray(transcript_event_frame({"Transcript": {"Results": []}}))
    frame[-1] ^= 0xFF
    return bytes(frame)


SERVER_CASES: list[tuple[str, list[bytes]]] = [
    ("frame with a bad CRC", [_corrupt_crc()]),
    ("TranscriptEvent that is not JSON", [transcript_event_frame(b"{not json")]),
    ("TranscriptEvent of the wrong shape", [transcript_event_frame(json.dumps({"Transcript": 3}).encode())]),
    ("bytes that are no frame at all", [b"\x00\x00\x00\x05garbage"]),
]


@pytest.mark.parametrize("frames", [c[1] for c in SERVER_CASES], ids=[c[0] for c in SERVER_CASES])
def test_corrupt_data_from_the_server_exits_5_without_output(
    files: Path, capsys: pytest.CaptureFixture[str], service: FakeTranscribeStreaming, frames: list[bytes]
) -> None:
    service.raw_frames = frames
    (files / "long.wav").write_bytes(wav_bytes(3.0))
    output = files / "transcript.txt"
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(
            main(["stream", str(files / "long.wav"), "--no-realtime", "--endpoint-url", service.url, "-o", str(output)])
        )
    )
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the client hung on corrupt data"
    assert result == [5]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not output.exists()


def test_an_unwritable_output_file_exits_2_after_a_good_stream(
    files: Path, capsys: pytest.CaptureFixture[str], service: FakeTranscribeStreaming
) -> None:
    (files / "long.wav").write_bytes(wav_bytes(1.0))
    target = files / "no-such-folder" / "transcript.txt"
    code = main(["stream", str(files / "long.wav"), "--no-realtime", "--endpoint-url", service.url, "-o", str(target)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be written" in err and "Traceback" not in err
    assert not target.exists()
