"""The batch commands: jobs, vocab, transcribe; exit codes and one-line errors (DESIGN.md)."""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.moto_api import state_manager

from transcribe_medical import ClientConfig, MedicalTranscriptionJob, RetryPolicy, TranscribeMedical
from transcribe_medical.cli import main
from transcribe_medical.models.enums import JobStatus

BUCKET = "cli-bucket"
JOB_MODEL = "transcribe::medicaltranscriptionjob"
GOLDEN = Path(__file__).resolve().parents[1] / "vectors" / "batch_outputs" / "plain.json"
PLAIN_TEXT = "Good morning, Mr. Alvarez. Any chest pain? Only when I climb stairs. Start aspirin 81 mg daily."


@pytest.fixture
def aws() -> Iterator[Any]:
    """moto in-process (each Get moves a job one step) with one bucket; yields an S3 client."""
    with mock_aws():
        state_manager.set_transition(JOB_MODEL, {"progression": "manual", "times": 1})
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        try:
            yield s3
        finally:
            state_manager.unset_transition(JOB_MODEL)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients the commands make retry without sleeping."""
    from transcribe_medical.cli.commands import _batch

    def make_client(region: str | None, profile: str | None, endpoint_url: str | None) -> TranscribeMedical:
        config = ClientConfig(retry=RetryPolicy(initial_backoff=0.0, max_backoff=0.0))
        return TranscribeMedical(region_name=region, profile_name=profile, endpoint_url=endpoint_url, config=config)

    monkeypatch.setattr(_batch, "make_client", make_client)
    for module in ("jobs", "vocab", "transcribe"):
        monkeypatch.setattr(f"transcribe_medical.cli.commands.{module}.make_client", make_client)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def start_args(name: str, *extra: str) -> list[str]:
    return ["jobs", "start", name, f"s3://{BUCKET}/{name}.wav", "--output-bucket", BUCKET, *extra]


def fail_jobs(monkeypatch: pytest.MonkeyPatch, reason: str) -> None:
    """moto never fails a job: make every Get report FAILED with ``reason``."""
    from transcribe_medical.batch import jobs as jobs_module

    real_get = jobs_module.Jobs.get

    def failing_get(self: jobs_module.Jobs, name: str) -> MedicalTranscriptionJob:
        return real_get(self, name).model_copy(update={"status": JobStatus.FAILED, "failure_reason": reason})

    monkeypatch.setattr(jobs_module.Jobs, "get", failing_get)


# --- success paths ------------------------------------------------------------------------------


def test_jobs_start_get_list_wait_delete(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *start_args("visit-1", "--type", "conversation", "--format", "json"))
    assert code == 0
    assert json.loads(out)["name"] == "visit-1"

    code, out, _ = run(capsys, "jobs", "get", "visit-1", "--format", "json")
    assert code == 0 and json.loads(out)["status"] == "QUEUED"

    code, out, _ = run(capsys, "jobs", "wait", "visit-1", "--poll-interval", "0", "--format", "json")
    assert code == 0 and json.loads(out)["status"] == "COMPLETED"

    run(capsys, *start_args("visit-2"))
    code, out, _ = run(capsys, "jobs", "list", "--format", "json")
    assert code == 0 and [row["name"] for row in json.loads(out)] == ["visit-1", "visit-2"]
    code, out, _ = run(capsys, "jobs", "list", "--limit", "1")
    assert code == 0 and out.splitlines()[0].startswith("name\tstatus") and len(out.splitlines()) == 2

    code, _, err = run(capsys, "jobs", "delete", "visit-1")
    assert code == 0 and "deleted job visit-1" in err


def test_jobs_start_with_settings_and_tags(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    args = start_args("visit-3", "--speaker-labels", "--max-speakers", "2", "--tag", "team=cardio", "--format", "json")
    code, _, err = run(capsys, *args)
    assert code == 0, err
    code, out, _ = run(capsys, "jobs", "get", "visit-3", "--format", "json")
    assert json.loads(out)["settings"]["max_speakers"] == 2


def test_jobs_transcript_to_a_0600_file(aws: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, *start_args("visit-4"))
    run(capsys, "jobs", "wait", "visit-4", "--poll-interval", "0")
    aws.put_object(Bucket=BUCKET, Key="medical/visit-4.json", Body=GOLDEN.read_bytes())
    target = tmp_path / "visit-4.txt"
    code, out, _ = run(capsys, "jobs", "transcript", "visit-4", "-o", str(target))
    assert code == 0 and out == ""
    assert PLAIN_TEXT in target.read_text()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    code, out, _ = run(capsys, "jobs", "transcript", "visit-4", "--format", "json")
    assert code == 0 and json.loads(out)


def test_transcribe_prints_the_transcript(aws: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    audio = tmp_path / "dictation.wav"
    audio.write_bytes(b"RIFF....WAVE")
    aws.put_object(Bucket=BUCKET, Key="medical/dictation-1.json", Body=GOLDEN.read_bytes())
    code, out, err = run(
        capsys, "transcribe", str(audio), "--bucket", BUCKET, "--job-name", "dictation-1", "--poll-interval", "0"
    )
    assert code == 0, err
    assert PLAIN_TEXT in out


def test_vocab_commands(aws: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    phrases = tmp_path / "phrases.txt"
    phrases.write_text("# cardiology\natrial fibrillation\n\nmetoprolol\n")
    code, out, err = run(
        capsys,
        "vocab",
        "create",
        "cardio",
        "--phrases",
        str(phrases),
        "--bucket",
        BUCKET,
        "--wait",
        "--poll-interval",
        "0",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["state"] == "READY"
    uploaded = aws.get_object(Bucket=BUCKET, Key="transcribe-medical/vocabularies/cardio.txt")["Body"].read()
    assert b"atrial-fibrillation" in uploaded and b"cardiology" not in uploaded
    code, out, _ = run(capsys, "vocab", "get", "cardio", "--format", "json")
    assert code == 0 and json.loads(out)["name"] == "cardio"
    code, out, _ = run(capsys, "vocab", "list", "--format", "json")
    assert code == 0 and [row["name"] for row in json.loads(out)] == ["cardio"]
    code, _, _ = run(capsys, "vocab", "delete", "cardio")
    assert code == 0
    code, _, err = run(capsys, "vocab", "get", "cardio")
    assert code == 3 and "couldn't be found" in one_line(err)


# --- exit codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("specialty", ["CARDIOLOGY", "NEUROLOGY", "ONCOLOGY", "RADIOLOGY", "UROLOGY"])
def test_streaming_only_specialty_exits_2(aws: Any, capsys: pytest.CaptureFixture[str], specialty: str) -> None:
    code, out, err = run(capsys, *start_args("visit-5", "--specialty", specialty))
    assert code == 2 and out == ""
    line = one_line(err)
    assert f"specialty: {specialty} is not supported in BATCH mode" in line and "PRIMARYCARE" in line
    assert (
        boto3.client("transcribe", region_name="us-east-1").list_medical_transcription_jobs()[
            "MedicalTranscriptionJobSummaries"
        ]
        == []
    )


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (start_args("bad name"), "job_name: 'bad name' is invalid"),
        (start_args("v", "--sample-rate", "8000"), "--sample-rate 8000 is invalid: use a whole number from 16000"),
        (start_args("v", "--speaker-labels"), "--max-speakers is required with --speaker-labels"),
        (start_args("v", "--speaker-labels", "--max-speakers", "2", "--channel-identification"), "not both"),
        (start_args("v", "--alternatives", "11"), "--alternatives 11 is invalid"),
        (start_args("v", "--tag", "novalue"), "--tag: 'novalue' is invalid: use KEY=VALUE"),
        (["jobs", "start", "v", "https://x/y.wav", "--output-bucket", BUCKET], "MEDIA_URI 'https://x/y.wav'"),
        (["jobs", "list", "--status", "DONE"], "--status 'DONE' is invalid"),
        (["jobs", "transcript", "v", "--format", "docx"], "--format: 'docx' is invalid"),
        (["jobs", "start", "v"], "Missing argument"),
        (["transcribe", "missing.wav"], "--bucket"),
        (["transcribe", "missing.wav", "--bucket", BUCKET], "cannot be read"),
        (["transcribe", "a.wav", "--bucket", BUCKET, "--specialty", "CARDIOLOGY"], "specialty: CARDIOLOGY"),
        (["vocab", "create", "v", "--phrases", "missing.txt", "--bucket", BUCKET], "cannot be read"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    aws: Any, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert fragment in one_line(err)


def test_service_refusals_exit_3(aws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, *start_args("visit-6"))[0] == 0
    code, _, err = run(capsys, *start_args("visit-6"))
    assert code == 3 and one_line(err).startswith("transcribe-medical: ConflictException:")
    code, _, err = run(capsys, "jobs", "get", "no-such-job")
    assert code == 3 and "couldn't be found" in one_line(err)
    code, _, err = run(capsys, "jobs", "delete", "no-such-job")
    assert code == 3
    code, _, err = run(capsys, "jobs", "transcript", "visit-6")
    assert code == 3 and "not COMPLETED" in one_line(err)


def test_failed_job_exits_3_with_its_reason(
    aws: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run(capsys, *start_args("visit-7"))
    fail_jobs(monkeypatch, "Invalid sample rate for audio file")
    code, out, err = run(capsys, "jobs", "wait", "visit-7", "--poll-interval", "0")
    assert code == 3 and out == ""
    assert "visit-7 FAILED: Invalid sample rate for audio file" in one_line(err)

    audio = tmp_path / "bad.wav"
    audio.write_bytes(b"RIFF")
    code, out, err = run(capsys, "transcribe", str(audio), "--bucket", BUCKET, "--poll-interval", "0")
    assert code == 3 and out == ""
    assert "FAILED: Invalid sample rate for audio file" in one_line(err)


@pytest.mark.parametrize(
    "argv",
    [
        ["jobs", "get", "visit-1"],
        ["jobs", "list"],
        start_args("visit-1"),
        ["vocab", "list"],
        ["jobs", "wait", "visit-1"],
    ],
)
def test_no_credentials_exits_4(no_credentials: None, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 4
    assert "no AWS credentials found" in one_line(err)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_connection_refused_exits_5(fast_retries: None, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    code, _, err = run(capsys, "jobs", "get", "visit-1", "--endpoint-url", endpoint)
    assert code == 5
    assert "could not connect" in one_line(err)
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF")
    code, _, err = run(capsys, "transcribe", str(audio), "--bucket", BUCKET, "--endpoint-url", endpoint)
    assert code == 5


def test_endpoint_url_reaches_a_moto_server(capsys: pytest.CaptureFixture[str]) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        code, _, err = run(capsys, *start_args("over-http", "--endpoint-url", endpoint))
        assert code == 0, err
        code, out, _ = run(capsys, "jobs", "list", "--endpoint-url", endpoint, "--format", "json")
        assert code == 0 and [row["name"] for row in json.loads(out)] == ["over-http"]
    finally:
        server.stop()
