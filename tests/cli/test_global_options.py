"""AWS CLI habits: global options before or after the command name; ``-o json`` is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from transcribe_medical.cli import main

GOLDEN = Path(__file__).resolve().parents[1] / "vectors" / "batch_outputs" / "plain.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def jobs_in_eu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto with one job in eu-west-1 and none in us-east-1; no region in the environment."""
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with mock_aws():
        boto3.client("s3", region_name="eu-west-1").create_bucket(
            Bucket="eu-media", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        boto3.client("transcribe", region_name="eu-west-1").start_medical_transcription_job(
            MedicalTranscriptionJobName="eu-visit",
            LanguageCode="en-US",
            Media={"MediaFileUri": "s3://eu-media/visit.wav"},
            OutputBucketName="eu-media",
            Specialty="PRIMARYCARE",
            Type="DICTATION",
        )
        yield


def job_names(out: str) -> list[str]:
    return [job["name"] for job in json.loads(out)]


@pytest.mark.parametrize(
    "argv",
    [
        ["--region", "eu-west-1", "jobs", "list", "--format", "json"],
        ["jobs", "list", "--format", "json", "--region", "eu-west-1"],
        ["--region=eu-west-1", "jobs", "list", "--format", "json"],
        ["--region", "us-east-1", "jobs", "list", "--region", "eu-west-1", "--format", "json"],  # after wins
    ],
    ids=["before", "after", "before-with-equals", "both"],
)
def test_region_before_or_after_the_command(
    jobs_in_eu: None, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert job_names(out) == ["eu-visit"]


def test_the_region_given_before_the_command_is_the_one_used(
    jobs_in_eu: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--region", "us-east-1", "jobs", "list", "--format", "json")
    assert code == 0 and job_names(out) == []
    code, _, err = run(capsys, "jobs", "list", "--format", "json")
    assert code == 2 and "--region" in err  # no region anywhere: the option is named in CLI words


def test_region_before_a_vocab_command(jobs_in_eu: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--region", "eu-west-1", "vocab", "list", "--format", "json")
    assert code == 0, err
    assert json.loads(out) == []


@pytest.mark.parametrize("position", ["before", "after"])
def test_every_connection_option_reaches_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], position: str
) -> None:
    seen: list[tuple[str | None, str | None, str | None]] = []

    class Stub:
        class jobs:  # noqa: N801 - stands in for the facade's attribute
            @staticmethod
            def list(**_: Any) -> list[Any]:
                return []

        def __enter__(self) -> Stub:
            return self

        def __exit__(self, *_: object) -> None:
            return None

    def make_client(region: str | None, profile: str | None, endpoint_url: str | None) -> Stub:
        seen.append((region, profile, endpoint_url))
        return Stub()

    monkeypatch.setattr("transcribe_medical.cli.commands.jobs.make_client", make_client)
    options = ["--region", "ca-central-1", "--profile", "clinic", "--endpoint-url", "http://127.0.0.1:5000"]
    command = ["jobs", "list", "--format", "json"]
    argv = options + command if position == "before" else command + options
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert json.loads(out) == []
    assert seen == [("ca-central-1", "clinic", "http://127.0.0.1:5000")]


def test_debug_and_a_region_before_the_command(jobs_in_eu: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--debug", "--region", "eu-west-1", "jobs", "list", "--format", "json")
    assert code == 0 and job_names(out) == ["eu-visit"]


def test_a_global_option_before_a_local_command_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--region", "us-east-1", "specialties", "--format", "json")
    assert code == 0 and "CARDIOLOGY" in out


@pytest.mark.parametrize("name", ["json", "text", "srt", "vtt", "html", "jsonl", "JSON"])
def test_output_given_a_format_name_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "convert", str(GOLDEN), "-o", name)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"--format {name}" in err and f"-o ./{name}" in err
    assert out == "" and list(tmp_path.iterdir()) == []


def test_output_format_name_is_refused_before_any_request(capsys: pytest.CaptureFixture[str]) -> None:
    # Nothing listens on port 9: the refusal comes first, so this is exit 2, not a connection error (5).
    code, _, err = run(
        capsys, "jobs", "transcript", "visit-1", "--output", "json", "--endpoint-url", "http://127.0.0.1:9"
    )
    assert code == 2 and "--format json" in err


@pytest.mark.parametrize("name", ["./json", "out.json", "transcript"])
def test_output_that_names_a_file_is_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "convert", str(GOLDEN), "--format", "json", "-o", name)
    assert code == 0, err
    assert json.loads((tmp_path / name).read_text())["text"]


def test_review_output_format_name_hint_without_format_option(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "review", str(GOLDEN), "-o", "html")
    assert code == 2 and "-o ./html" in err and "--format" not in err.split("(see")[0]
