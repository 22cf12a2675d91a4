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


def _one_line_exit_2(code: int, err: str) -> str:
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert "unexpected error" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("deep.jsonl", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "deep.jsonl line 1: nested too deeply"),
        ("digits.jsonl", '{"max_speakers": ' + "9" * 5000 + "}\n", "digits.jsonl line 1: a number has more than"),
        ("wide.csv", "job_name,media_uri\nx," + "s" * 200_000 + "\n", "wide.csv line 2: not valid CSV"),
    ],
)
def test_hostile_manifests_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    err = _one_line_exit_2(main(["jobs", "submit-many", str(path)]), capsys.readouterr().err)
    assert expected in err


@pytest.mark.usefixtures("moto")
def test_a_corrupt_state_file_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _manifest(tmp_path, 2)
    state = tmp_path / "jobs.jsonl.state.sqlite"  # the default name
    state.write_bytes(b"\x00garbage, not SQLite\n" * 64)
    err = _one_line_exit_2(main(["jobs", "submit-many", str(manifest)]), capsys.readouterr().err)
    assert f"state file {state}: not a bulk state file" in err


@pytest.mark.usefixtures("moto")
def test_a_read_only_state_file_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from batch.test_bulk_state import read_only

    manifest = _manifest(tmp_path, 2)
    state = tmp_path / "kept.sqlite"
    assert main(["jobs", "submit-many", str(manifest), "--state", str(state), "--rate", "1000"]) == 0
    capsys.readouterr()
    with read_only(state):
        code = main(["jobs", "submit-many", str(manifest), "--state", str(state)])
    err = _one_line_exit_2(code, capsys.readouterr().err)
    assert f"state file {state}: cannot be opened for writing" in err
