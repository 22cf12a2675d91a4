"""``transcribe-medical convert`` and ``review``: every format, both inputs, exit codes, 0600 files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from transcribe_medical.cli import main
from transcribe_medical.exports import EXPORT_FORMATS, export, from_json, to_html, to_json, to_text
from transcribe_medical.models.batch_output import parse_batch_output

VECTORS = Path(__file__).parents[1] / "vectors" / "batch_outputs"
GOLDEN = sorted(VECTORS.glob("*.json"))
FORMATS = sorted(EXPORT_FORMATS)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _one_line_error(err: str) -> str:
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("golden", GOLDEN, ids=lambda path: path.stem)
def test_convert_aws_batch_output(golden: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(golden), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out == export(parse_batch_output(golden.read_bytes()), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("golden", GOLDEN, ids=lambda path: path.stem)
def test_convert_our_json(golden: Path, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    transcript = parse_batch_output(golden.read_bytes())
    ours = tmp_path / "ours.json"
    ours.write_text(to_json(transcript))
    assert main(["convert", str(ours), "--format", fmt]) == 0
    assert capsys.readouterr().out == export(transcript, fmt)


def test_aws_to_ours_and_back_is_identity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    golden = VECTORS / "speaker_labels.json"
    assert main(["convert", str(golden), "--format", "json", "-o", str(tmp_path / "a.json")]) == 0
    assert main(["convert", str(tmp_path / "a.json"), "--format", "json", "-o", str(tmp_path / "b.json")]) == 0
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    assert from_json((tmp_path / "b.json").read_text()) == parse_batch_output(golden.read_bytes())


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_file_is_0600(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / f"out.{fmt}"
    target.write_text("old")
    target.chmod(0o644)
    assert main(["convert", str(VECTORS / "phi.json"), "--format", fmt, "-o", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert target.read_text() == export(parse_batch_output((VECTORS / "phi.json").read_bytes()), fmt)
    if os.name != "nt":
        assert _mode(target) == 0o600


@pytest.mark.parametrize("fmt", FORMATS)
def test_redact_phi(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(VECTORS / "phi.json"), "--format", fmt, "--redact-phi"]) == 0
    out = capsys.readouterr().out
    assert "Alvarez" not in out and "[PHI]" in out


def test_min_confidence_marks_text_and_sets_the_page_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(VECTORS / "speaker_labels.json")
    transcript = parse_batch_output((VECTORS / "speaker_labels.json").read_bytes())
    assert main(["convert", path, "--min-confidence", "0.99"]) == 0
    out = capsys.readouterr().out
    assert "Mr. [[Alvarez]]" in out and "81 [[mg]] daily" in out
    assert out == to_text(transcript, min_confidence=0.99)
    assert main(["convert", path, "--format", "html", "--min-confidence", "0.99"]) == 0
    assert capsys.readouterr().out == to_html(transcript, min_confidence=0.99)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["convert", "{tmp}/missing.json"], "missing.json: no such file"),
        (["convert", "{tmp}"], "is a directory"),
        (["convert", "{tmp}/bad.json"], "bad.json: not valid JSON"),
        (["convert", "{tmp}/other.json"], "other.json: not a transcript"),
        (["convert", "{tmp}/broken_aws.json"], "malformed batch transcript"),
        (["convert", "{tmp}/newer.json"], "version: 99 is not supported"),
        (["convert", "{golden}", "--format", "docx"], "--format: 'docx' is invalid"),
        (["convert", "{golden}", "--min-confidence", "1.5"], "--min-confidence: 1.5 is invalid"),
        (["convert", "{golden}", "--min-confidence", "lots"], "--min-confidence"),
        (["convert", "{golden}", "-o", "{tmp}/no/such/dir/out.txt"], "cannot be written"),
        (["convert"], "Missing argument"),
        (["review", "{tmp}/missing.json"], "missing.json: no such file"),
        (["review", "{tmp}/bad.json", "-o", "{tmp}/r.html"], "not valid JSON"),
        (["review", "{golden}", "--min-confidence", "-0.5"], "--min-confidence: -0.5 is invalid"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "other.json").write_text(json.dumps({"hello": "world"}))
    (tmp_path / "broken_aws.json").write_text(json.dumps({"results": {"items": [{"type": "pronunciation"}]}}))
    (tmp_path / "newer.json").write_text(json.dumps({"schema": "transcribe-medical/transcript", "version": 99}))
    golden = str(VECTORS / "phi.json")
    argv = [arg.format(tmp=tmp_path, golden=golden) for arg in args]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert expected in _one_line_error(captured.err)
    assert "Alvarez" not in captured.err
    assert not (tmp_path / "r.html").exists()


def test_review_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.html"
    golden = VECTORS / "speaker_labels.json"
    assert main(["review", str(golden), "--min-confidence", "0.99", "-o", str(report), "--title", "Visit"]) == 0
    assert capsys.readouterr().out == ""
    page = report.read_text()
    assert page == to_html(parse_batch_output(golden.read_bytes()), min_confidence=0.99, title="Visit")
    assert page.count('<span class="low"') == 3  # Alvarez, mg and the legend's sample
    if os.name != "nt":
        assert _mode(report) == 0o600


def test_review_redacted_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.html"
    assert main(["review", str(VECTORS / "phi.json"), "--redact-phi", "-o", str(report)]) == 0
    assert "Alvarez" not in report.read_text()


def test_review_lists_flagged_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(VECTORS / "speaker_labels.json"), "--min-confidence", "0.99"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "start\tspeaker/channel\tword\tconfidence",
        "00:00:01.620\tspk_0\tAlvarez\t0.95",
        "00:00:07.280\tspk_0\tmg\t0.98",
    ]
    assert captured.err == "2 of 17 words below 0.99 (11.8%)\n"


def test_review_of_our_json_with_channels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ours = tmp_path / "ours.json"
    ours.write_text(to_json(parse_batch_output((VECTORS / "channel_identification.json").read_bytes())))
    assert main(["review", str(ours), "--min-confidence", "1"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split("\t") == ["start", "speaker/channel", "word", "confidence"]
    assert lines and all(line.split("\t")[1] in ("ch_0", "ch_1") for line in lines)


def test_review_with_nothing_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(VECTORS / "plain.json")]) == 0
    captured = capsys.readouterr()
    assert captured.out == "start\tspeaker/channel\tword\tconfidence\n"  # the header, for a parser
    assert captured.err.startswith("0 of 17 words below 0.85")
