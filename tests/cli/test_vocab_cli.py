"""``vocab create|update`` with AWS's table format or a list, ``--file-uri``; the file parser's rules and messages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from transcribe_medical import ValidationError
from transcribe_medical.batch.vocabulary_files import parse_vocabulary_file, parse_vocabulary_table
from transcribe_medical.cli import main

TABLE = (
    "Phrase\tSoundsLike\tIPA\tDisplayAs\n"
    "chest-x-ray\t\t\tchest X-ray\n"
    "E.C.G.\t\t\tECG\n"
    "metoprolol\n"  # trailing empty cells left out, as editors that trim tabs do
)
TABLE_UPLOADED = "Phrase\tSoundsLike\tIPA\tDisplayAs\nchest-x-ray\t\t\tchest X-ray\nE.C.G.\t\t\tECG\nmetoprolol\t\t\t\n"


# --- the file parser -------------------------------------------------------------------------------


def test_a_table_is_read_and_rendered_with_every_cell() -> None:
    parsed = parse_vocabulary_file(TABLE)
    assert parsed.format == "table"
    assert parsed.phrases == ("chest-x-ray", "E.C.G.", "metoprolol")
    assert parsed.table_text == TABLE_UPLOADED


def test_a_table_in_another_column_order_with_crlf_and_a_bom_keeps_its_order() -> None:
    text = "\ufeffDisplayAs\tPhrase\tIPA\tSoundsLike\r\nAtrial fibrillation\tatrial-fibrillation\t\t\r\n"
    parsed = parse_vocabulary_file(text)
    assert parsed.phrases == ("atrial-fibrillation",)
    assert parsed.table_text == "DisplayAs\tPhrase\tIPA\tSoundsLike\nAtrial fibrillation\tatrial-fibrillation\t\t\n"


def test_a_list_is_read_and_rendered_as_a_table() -> None:
    parsed = parse_vocabulary_file("# cardiology\natrial fibrillation\n\n  metoprolol  \n")
    assert parsed.format == "list"
    assert parsed.phrases == ("atrial fibrillation", "metoprolol")
    assert parsed.table_text.splitlines() == [
        "Phrase\tSoundsLike\tIPA\tDisplayAs",
        "atrial-fibrillation\t\t\tatrial fibrillation",
        "metoprolol\t\t\t",
    ]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "Phrase\tSounds Like\tIPA\tDisplayAs\nx-ray\n",
            ["line 1", "Phrase, Sounds Like, IPA, DisplayAs", "once each"],
        ),
        ("Phrase\tSoundsLike\tIPA\nx-ray\n", ["line 1", "use the four columns"]),
        ("Phrase\tSoundsLike\tIPA\tDisplayAs\nchest x-ray\t\t\tchest X-ray\n", ["line 2", "chest-x-ray", "DisplayAs"]),
        ("Phrase\tSoundsLike\tIPA\tDisplayAs\nvx02q\n", ["line 2", "digits", "spell numbers out"]),
        ("Phrase\tSoundsLike\tIPA\tDisplayAs\n\t\t\tECG\n", ["line 2", "Phrase cell is empty"]),
        ("Phrase\tSoundsLike\tIPA\tDisplayAs\nx-ray\t\t\tX-ray\textra\n", ["line 2", "5 tab-separated cells"]),
        ("Phrase\tSoundsLike\tIPA\tDisplayAs\n\n", ["header but no rows"]),
        ("Phrase\tSoundsLike\tIPA\tDisplayAs\n" + "a" * 257 + "\n", ["line 2", "257 characters", "256"]),
        ("\n\n", ["no phrases"]),
        ("atrial fibrillation\nx-ray\tX-ray\n", ["line 2", "without tabs", "Phrase<TAB>SoundsLike"]),
        ("a" * 300 + "\n", ["line 1", "300 characters"]),
        ("\n".join(f"word{'x' * 200}{n}" for n in range(300)), ["50 KB"]),
    ],
)
def test_a_broken_file_is_refused_in_one_line_naming_the_line_without_reprs(text: str, fragments: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_vocabulary_file(text, source="--phrases terms.txt")
    message = str(caught.value)
    assert message.startswith("--phrases terms.txt")
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    assert not any(mark in message for mark in ("['", "']", "\\t", "(\\'")), message


def test_parse_vocabulary_table_refuses_a_list() -> None:
    with pytest.raises(ValidationError, match="table header"):
        parse_vocabulary_table("atrial fibrillation\n")


# --- the commands, against the emulator ------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    from transcribe_medical.local import LocalTranscribeMedical, ScriptedRecognizer

    with LocalTranscribeMedical(recognizer=ScriptedRecognizer("no acute distress"), streaming_port=0) as emu:
        emu.create_bucket("vocab-bucket")
        yield emu


@pytest.fixture
def env(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return emulator


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def uploaded(emulator: Any, key: str) -> str:
    body = emulator.boto3_client("s3").get_object(Bucket="vocab-bucket", Key=key)["Body"].read()
    return str(body.decode("utf-8"))


def test_vocab_create_takes_a_table_file_and_update_replaces_it_with_a_list(
    env: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    table = tmp_path / "terms.tsv"
    table.write_text(TABLE, encoding="utf-8")
    wait = ["--wait", "--poll-interval", "0.05", "--format", "json"]
    code, out, err = run(
        capsys, "vocab", "create", "cardio-table", "--phrases", str(table), "--bucket", "vocab-bucket", *wait
    )
    assert code == 0, err
    assert '"state": "READY"' in out
    assert uploaded(env, "transcribe-medical/vocabularies/cardio-table.txt") == TABLE_UPLOADED
    assert [entry.display_as for entry in env.medical.vocabularies.vocabulary(env.region, "cardio-table").entries] == [
        "chest X-ray",
        "ECG",
        "metoprolol",
    ]

    listed = tmp_path / "terms.txt"
    listed.write_text("atrial fibrillation\n", encoding="utf-8")
    code, out, err = run(
        capsys,
        "vocab",
        "update",
        "cardio-table",
        "--phrases",
        str(listed),
        "--bucket",
        "vocab-bucket",
        "--key",
        "vocab/v2.txt",
        *wait,
    )
    assert code == 0, err
    assert '"state": "READY"' in out
    assert (
        uploaded(env, "vocab/v2.txt")
        == "Phrase\tSoundsLike\tIPA\tDisplayAs\natrial-fibrillation\t\t\tatrial fibrillation\n"
    )
    entries = env.medical.vocabularies.vocabulary(env.region, "cardio-table").entries
    assert [entry.display_as for entry in entries] == ["atrial fibrillation"]  # replaced, nothing appended


def test_vocab_create_from_a_file_already_in_s3(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env.boto3_client("s3").put_object(Bucket="vocab-bucket", Key="ready/terms.txt", Body=TABLE_UPLOADED.encode())
    code, out, err = run(
        capsys,
        "vocab",
        "create",
        "from-uri",
        "--file-uri",
        "s3://vocab-bucket/ready/terms.txt",
        "--wait",
        "--poll-interval",
        "0.05",
        "--format",
        "json",
    )
    assert code == 0, err
    assert '"state": "READY"' in out
    assert len(env.medical.vocabularies.vocabulary(env.region, "from-uri").entries) == 3


def test_vocab_update_of_a_missing_vocabulary_exits_3(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "vocab", "update", "never-made", "--file-uri", "s3://vocab-bucket/ready/terms.txt")
    assert code == 3
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["vocab", "create", "v"], "give --phrases FILE (with --bucket to upload it to) or --file-uri"),
        (["vocab", "update", "v", "--phrases", "x.txt", "--file-uri", "s3://b-b/k"], "vocab update: give --phrases"),
        (["vocab", "create", "v", "--phrases", "x.txt"], "--phrases needs --bucket"),
        (["vocab", "create", "v", "--file-uri", "s3://vocab-bucket/k", "--bucket", "vocab-bucket"], "already in S3"),
        (
            ["vocab", "create", "v", "--file-uri", "https://example.com/k"],
            "--file-uri: https://example.com/k is invalid",
        ),
    ],
)
def test_vocab_usage_errors_exit_2_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: usage errors come first
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]


def test_a_table_with_spaces_in_a_phrase_is_refused_before_any_upload(
    env: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    table = tmp_path / "bad.tsv"
    table.write_text("Phrase\tSoundsLike\tIPA\tDisplayAs\nchest x-ray\t\t\t\n", encoding="utf-8")
    code, out, err = run(capsys, "vocab", "create", "bad-table", "--phrases", str(table), "--bucket", "vocab-bucket")
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert f"--phrases {table} line 2: the phrase chest x-ray has spaces" in line and "chest-x-ray" in line
    assert "[" not in line
    keys = [item["Key"] for item in env.boto3_client("s3").list_objects_v2(Bucket="vocab-bucket").get("Contents", [])]
    assert "transcribe-medical/vocabularies/bad-table.txt" not in keys


def test_the_async_facade_takes_a_table_too(env: Any) -> None:
    import asyncio

    async def create() -> Any:
        async with env.async_client() as client:
            await client.vocabularies.create("async-table", table=TABLE, bucket="vocab-bucket")
            with pytest.raises(ValidationError, match="give one of phrases, table or file_uri"):
                await client.vocabularies.create("twice", ["x"], table=TABLE, bucket="vocab-bucket")
            return await client.vocabularies.wait("async-table", poll_interval=0.05)

    vocabulary = asyncio.run(create())
    assert str(vocabulary.state) == "READY"
    assert uploaded(env, "transcribe-medical/vocabularies/async-table.txt") == TABLE_UPLOADED


def test_vocab_create_shows_no_blank_field_and_get_no_presigned_url(
    env: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text("metoprolol\n", encoding="utf-8")
    code, out, err = run(capsys, "vocab", "create", "no-blanks", "--phrases", str(terms), "--bucket", "vocab-bucket")
    assert code == 0, err
    header, row = (line.split("\t") for line in out.splitlines())  # stdout is a pipe here: TSV
    assert header == ["name", "state", "language_code", "last_modified_time"]  # no failure_reason: it has none
    assert row[:3] == ["no-blanks", "PENDING", "en-US"] and all(row)

    code, out, err = run(capsys, "vocab", "get", "no-blanks", "--format", "json")
    assert code == 0, err
    assert "download_uri" not in out and "https://" not in out
