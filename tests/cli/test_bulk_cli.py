"""``transcribe-medical jobs submit-many``: exit codes, summary, resumability."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from transcribe_medical.cli import main


@pytest.fixture
def moto() -> Iterator[None]:
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="out-bucket")
        yield


def _manifest(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "jobs.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"media_uri": f"s3://media-in/{i}.wav", "output_bucket": "out-bucket"}) for i in range(count)
        )
    )
    return path


@pytest.mark.usefixtures("moto")
def test_submit_many_then_rerun(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _manifest(tmp_path, 5)
    assert main(["jobs", "submit-many", str(manifest), "--rate", "1000", "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(first["submitted"]) == 5 and first["failed"] == {}
    assert Path(first["state_file"]).exists()
    assert main(["jobs", "submit-many", str(manifest), "--rate", "1000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 submitted, 5 already submitted")


@pytest.mark.usefixtures("moto")
def test_bad_manifest_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "jobs.jsonl"
    path.write_text('{"media_uri": "s3://media-in/a.wav", "output_bucket": "out-bucket", "language_code": "fr-FR"}\n')
    assert main(["jobs", "submit-many", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "jobs.jsonl line 1: language_code" in err


@pytest.mark.usefixtures("moto")
def test_refused_jobs_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "jobs.jsonl"
    # moto refuses a vocabulary that does not exist: the job fails at submission.
    path.write_text(
        json.dumps(
            {
                "media_uri": "s3://media-in/a.wav",
                "output_bucket": "out-bucket",
                "settings": {"vocabulary_name": "missing-vocab"},
            }
        )
        + "\n"
    )
    assert main(["jobs", "submit-many", str(path), "--rate", "1000"]) == 3
    assert "FAILED" in capsys.readouterr().out
