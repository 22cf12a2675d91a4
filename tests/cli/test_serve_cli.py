"""``transcribe-medical serve`` (buckets, export lines, stopping) and ``samples``, as a user runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from transcribe_medical.cli import main
from transcribe_medical.local.data import SAMPLE_DICTATION_WAV

ROOT = Path(__file__).resolve().parents[2]
_EXPORT = re.compile(r"^export ([A-Z_]+)=(\S+)$")


class Served:
    """A ``serve`` subprocess and the variables of its export lines."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from transcribe_medical.cli import run; run()", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "AWS_EC2_METADATA_DISABLED": "true"},
        )
        assert self.process.stdout is not None
        self.exports: dict[str, str] = {}
        for _ in range(6):
            line = self.process.stdout.readline()
            match = _EXPORT.match(line.strip())
            assert match, f"not an export line: {line!r}"
            self.exports[match[1]] = match[2]

    def stop(self, sig: signal.Signals = signal.SIGINT) -> tuple[int, str]:
        self.process.send_signal(sig)
        code = self.process.wait(timeout=60)
        assert self.process.stderr is not None
        return code, self.process.stderr.read()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def served() -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for one in started:
        one.close()


def test_serve_creates_the_default_bucket_and_the_given_ones_and_exports_its_name(served: list[Served]) -> None:
    import boto3

    server = Served("--bucket", "first-bucket", "--bucket", "second.bucket")
    served.append(server)
    env = server.exports
    assert env["TRANSCRIBE_MEDICAL_BUCKET"] == "transcribe-medical-local"
    s3 = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    )
    names = {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}
    assert names == {"transcribe-medical-local", "first-bucket", "second.bucket"}
    code, err = server.stop()
    assert code == 0
    assert "buckets    transcribe-medical-local, first-bucket, second.bucket" in err
    assert err.rstrip().endswith("stopping the emulator")
    assert "Traceback" not in err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_cleanly_on_ctrl_c_and_on_sigterm(served: list[Served], sig: signal.Signals) -> None:
    server = Served()
    served.append(server)
    code, err = server.stop(sig)
    assert code == 0
    assert err.rstrip().endswith("stopping the emulator")


def test_a_second_ctrl_c_while_stopping_still_ends_in_a_clean_exit(served: list[Served]) -> None:
    server = Served()
    served.append(server)
    server.process.send_signal(signal.SIGINT)
    code, err = server.stop(signal.SIGINT)
    assert code == 0
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_serve_refuses_a_bad_bucket_name_in_one_line_before_starting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", "--bucket", "My_Bucket"]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == ""
    assert len(lines) == 1
    assert "--bucket: My_Bucket is invalid" in lines[0] and "3-63 characters" in lines[0]
    assert "emulator running" not in err


def test_samples_writes_the_bundled_recordings_and_keeps_existing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new" / "dir"
    assert main(["samples", str(target)]) == 0
    written = capsys.readouterr().out.split()
    assert written == [
        str(target / name) for name in ("sample_dictation.wav", "sample_conversation.wav", "sample_visit.wav")
    ]
    assert (target / "sample_dictation.wav").read_bytes() == SAMPLE_DICTATION_WAV.read_bytes()
    assert (target / "sample_visit.wav").read_bytes()[:4] == b"RIFF"
    before = {path: path.stat().st_mtime_ns for path in target.iterdir()}

    # Run again (the Quick start pasted twice): the copies are the recordings, so nothing to do.
    assert main(["samples", str(target)]) == 0
    assert capsys.readouterr().out.split() == written
    assert {path: path.stat().st_mtime_ns for path in target.iterdir()} == before

    (target / "sample_visit.wav").write_bytes(b"mine")
    assert main(["samples", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exists" in err[0] and "--force" in err[0]
    assert (target / "sample_visit.wav").read_bytes() == b"mine"

    assert main(["samples", str(target), "--force"]) == 0
    assert (target / "sample_visit.wav").read_bytes()[:4] == b"RIFF"


def test_write_samples_is_public_in_the_local_package(tmp_path: Path) -> None:
    from transcribe_medical.local import write_samples

    paths = write_samples(tmp_path)
    assert [path.name for path in paths] == ["sample_dictation.wav", "sample_conversation.wav", "sample_visit.wav"]
    assert write_samples(tmp_path) == paths  # the same recordings are already there
    paths[0].write_bytes(paths[0].read_bytes()[:-2])  # a different file of that name
    with pytest.raises(FileExistsError):
        write_samples(tmp_path)


def _quick_start_script() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 2 and blocks[0].strip() == "transcribe-medical serve"
    return blocks[1]


@pytest.mark.slow
def test_the_readme_quick_start_runs_as_pasted_after_the_export_lines(served: list[Served], tmp_path: Path) -> None:
    server = Served()
    served.append(server)
    # A fresh shell: nothing from this process's environment but PATH, then the pasted exports.
    pasted = "".join(f"export {name}={value}\n" for name, value in server.exports.items())
    bindir = str(Path(sys.executable).parent)
    shell = subprocess.run(
        ["bash", "-e", "-s"],
        input=pasted + _quick_start_script(),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"},
        timeout=900,
        check=False,
    )
    assert shell.returncode == 0, shell.stderr[-2000:]
    out = shell.stdout.replace("[[", "").replace("]]", "")  # the CLI marks words to review [[so]]
    assert out.startswith("sample_dictation.wav\nsample_conversation.wav\nsample_visit.wav\n")
    assert out.lower().count("chest pain") == 2  # the CLI's stream and Python's
    # The HealthScribe note (Markdown, one "## " heading per section) stands between the CLI's
    # batch SRT and Python's output; each of those has the patient's "asthma" once.
    cli, note_and_python = out.split("\n## ", 1)
    note, python = note_and_python.lower().rsplit("chest pain", 1)  # Python's stream starts its part
    assert cli.count("asthma") == 1 and python.count("asthma") == 1
    assert "\n## " in note and "asthma" in note  # the note's other sections, and what it is about
    assert out.count("ch_0: ") >= 2 and out.count("ch_1: ") >= 2
    assert "flagged for review" in shell.stderr
    assert server.stop()[0] == 0


def test_a_ctrl_c_during_start_up_is_held_until_the_emulator_is_up_then_stops_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket
    import threading

    from transcribe_medical.local import LocalTranscribeMedical

    start = LocalTranscribeMedical.start
    seen: dict[str, str] = {}

    def interrupted_start(self: LocalTranscribeMedical) -> None:
        # Ctrl-C lands in the middle of start-up, before any server is listening.
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        start(self)
        seen["endpoint"] = self.endpoint_url

    monkeypatch.setattr(LocalTranscribeMedical, "start", interrupted_start)
    assert main(["serve", "--port", "0"]) == 0
    out, err = capsys.readouterr()
    assert f"export AWS_ENDPOINT_URL={seen['endpoint']}" in out
    assert err.rstrip().endswith("stopping the emulator")
    host, port = seen["endpoint"].removeprefix("http://").split(":")
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), timeout=5):
        pass  # stopped: nothing listens any more


def test_serve_refuses_a_host_off_loopback_without_allow_remote(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", "--host", "0.0.0.0"]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == ""
    assert len(lines) == 1
    assert "--host: 0.0.0.0 is not a loopback address" in lines[0] and "--allow-remote" in lines[0]


def test_serve_allow_remote_accepts_only_the_fresh_printed_credentials(served: list[Served], tmp_path: Path) -> None:
    import boto3
    from botocore.exceptions import ClientError

    from transcribe_medical.local.emulator import DEFAULT_CREDENTIALS

    server = Served("--host", "0.0.0.0", "--allow-remote")
    served.append(server)
    env = server.exports
    assert env["AWS_ACCESS_KEY_ID"] != DEFAULT_CREDENTIALS.access_key_id
    assert env["AWS_SECRET_ACCESS_KEY"] != DEFAULT_CREDENTIALS.secret_access_key
    # Bound on every interface; the export lines name loopback, so they work as pasted on this machine.
    batch_url = env["AWS_ENDPOINT_URL"]
    assert batch_url.startswith("http://127.0.0.1:")
    assert env["AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING"].startswith("ws://127.0.0.1:")
    fixed = {
        "aws_access_key_id": DEFAULT_CREDENTIALS.access_key_id,
        "aws_secret_access_key": DEFAULT_CREDENTIALS.secret_access_key,
    }
    printed = {"aws_access_key_id": env["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"]}
    # A right access key id with a wrong secret: the signature itself is checked, not only the key id.
    forged = {"aws_access_key_id": env["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": "x" * 40}
    for refused in (fixed, forged):
        for service, call in (("s3", "list_buckets"), ("transcribe", "list_medical_transcription_jobs")):
            client = boto3.client(service, endpoint_url=batch_url, region_name=env["AWS_REGION"], **refused)
            with pytest.raises(ClientError) as caught:
                getattr(client, call)()
            assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    s3 = boto3.client("s3", endpoint_url=batch_url, region_name=env["AWS_REGION"], **printed)
    s3.put_object(Bucket="transcribe-medical-local", Key="a.txt", Body=b"hello")
    assert s3.get_object(Bucket="transcribe-medical-local", Key="a.txt")["Body"].read() == b"hello"
    transcribe = boto3.client("transcribe", endpoint_url=batch_url, region_name=env["AWS_REGION"], **printed)
    assert transcribe.list_medical_transcription_jobs()["MedicalTranscriptionJobSummaries"] == []

    sample = tmp_path / "sample.wav"
    sample.write_bytes(SAMPLE_DICTATION_WAV.read_bytes())
    base = {
        **os.environ,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": env["AWS_REGION"],
        "AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING": env["AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING"],
    }
    command = [sys.executable, "-c", "from transcribe_medical.cli import run; run()", "stream", str(sample)]
    command += ["--no-realtime", "--no-reconnect"]
    with_fixed = {
        **base,
        "AWS_ACCESS_KEY_ID": DEFAULT_CREDENTIALS.access_key_id,
        "AWS_SECRET_ACCESS_KEY": DEFAULT_CREDENTIALS.secret_access_key,
    }
    refused_stream = subprocess.run(command, env=with_fixed, capture_output=True, text=True, timeout=120)
    assert refused_stream.returncode != 0
    assert "403" in refused_stream.stderr or "invalid" in refused_stream.stderr.lower()
    with_printed = {
        **base,
        "AWS_ACCESS_KEY_ID": env["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": env["AWS_SECRET_ACCESS_KEY"],
    }
    accepted = subprocess.run(command, env=with_printed, capture_output=True, text=True, timeout=300)
    assert accepted.returncode == 0, accepted.stderr
    assert "patient" in accepted.stdout.lower()

    code, err = server.stop()
    assert code == 0
    assert "reachable from the network" in err
    assert env["AWS_SECRET_ACCESS_KEY"] not in err
