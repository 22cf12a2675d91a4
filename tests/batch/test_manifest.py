"""Bulk manifests: JSONL and CSV, snake_case and PascalCase, stable names, clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from transcribe_medical import ValidationError
from transcribe_medical.batch.manifest import read_manifest


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_jsonl_accepts_both_spellings_and_names_jobs_stably(tmp_path: Path) -> None:
    lines = [
        {
            "media_uri": "s3://media-in/a.wav",
            "output_bucket": "out-bucket",
            "type": "CONVERSATION",
            "settings": {"show_speaker_labels": True, "max_speakers": 2},
        },
        {
            "Media": {"MediaFileUri": "s3://media-in/b.wav"},
            "OutputBucketName": "out-bucket",
            "Type": "DICTATION",
            "MedicalTranscriptionJobName": "b-job",
        },
    ]
    path = _write(tmp_path, "m.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n\n")
    first, second = read_manifest(path)
    # Named as `transcribe` names its jobs: the media's stem, then 12 hex digits (a hash of the row).
    assert re.fullmatch(r"a-[0-9a-f]{12}", first.job_name), first.job_name
    assert first.settings is not None and first.settings.max_speakers == 2
    assert second.job_name == "b-job" and second.media_uri == "s3://media-in/b.wav"
    assert read_manifest(path)[0].job_name == first.job_name  # stable across runs


def test_csv_with_settings_and_tags(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "m.csv",
        "job_name,media_uri,output_bucket,type,ShowSpeakerLabels,max_speakers,tag.team,sample_rate\n"
        "v1,s3://media-in/1.wav,out-bucket,CONVERSATION,true,3,cardio,16000\n",
    )
    (request,) = read_manifest(path)
    assert request.settings is not None and request.settings.show_speaker_labels and request.settings.max_speakers == 3
    assert request.tags == {"team": "cardio"} and request.sample_rate == 16000


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "m.jsonl",
            '{"media_uri": "s3://media-in/a.wav", "output_bucket": "out-bucket"}\nnot json\n',
            "m.jsonl line 2: not valid JSON",
        ),
        ("m.jsonl", "[1, 2]\n", "line 1: each line must be a JSON object"),
        ("m.jsonl", '{"media_uri": "ftp://x", "output_bucket": "out-bucket"}\n', "m.jsonl line 1: media_uri"),
        (
            "m.jsonl",
            '{"media_uri": "s3://media-in/a.wav", "output_bucket": "out-bucket", "specialty": "CARDIOLOGY"}\n',
            "line 1: specialty",
        ),
        ("m.jsonl", "", "lists no jobs"),
        (
            "m.csv",
            "job_name,media_uri,output_bucket\nx,s3://media-in/a.wav,out-bucket,extra\n",
            "more values than header",
        ),
        (
            "m.csv",
            "job_name,media_uri,output_bucket\nx,s3://media-in/a.wav,out-bucket\nx,s3://media-in/b.wav,out-bucket\n",
            "already used by m.csv line 2",
        ),
        ("m.txt", "whatever", "neither .jsonl nor .csv"),
        # Hostile shapes (issue 16): each was an "unexpected error" with exit 1.
        ("m.jsonl", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "m.jsonl line 1: nested too deeply"),
        (
            "m.jsonl",
            '{"media_uri": "s3://media-in/a.wav", "output_bucket": "out-bucket"}\n'
            '{"media_uri": "s3://media-in/b.wav", "max_speakers": ' + "9" * 5000 + "}\n",
            "m.jsonl line 2: a number has more than",
        ),
        (
            "m.csv",
            "job_name,media_uri,output_bucket\nx,s3://media-in/a.wav,out-bucket\n"
            "y,s3://media-in/b.wav," + "o" * 200_000 + "\n",
            "m.csv line 3: not valid CSV (field larger than field limit",
        ),
        (
            "m.csv",
            "job_name,media_uri,output_bucket,max_speakers\nx,s3://media-in/a.wav,out-bucket," + "9" * 5000 + "\n",
            "m.csv line 2: settings.max_speakers",
        ),
    ],
)
def test_bad_manifests_name_the_line(tmp_path: Path, name: str, text: str, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read_manifest(_write(tmp_path, name, text))
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        read_manifest(tmp_path / "nope.jsonl")


@pytest.mark.parametrize("depth", [900, 990, 5_000])
def test_deep_nesting_near_the_recursion_limit_is_one_clear_error(tmp_path: Path, depth: int) -> None:
    # Deep enough to pass the decoder but not validation, or to stop the decoder: either way one line.
    line = '{"media_uri": "s3://media-in/a.wav", "output_bucket": "out-bucket", "tags": {"k": '
    line += "[" * depth + "]" * depth + "}}\n"
    with pytest.raises(ValidationError) as caught:
        read_manifest(_write(tmp_path, "m.jsonl", line))
    assert str(caught.value).startswith("m.jsonl line 1: ")
    assert "\n" not in str(caught.value)


def test_unnamed_rows_are_named_like_transcribe_names_its_jobs(tmp_path: Path) -> None:
    from transcribe_medical.batch.jobs import default_job_name

    rows = [
        {"media_uri": "s3://media-in/visits/visit 0412.wav", "output_bucket": "out-bucket"},
        {"MediaFileUri": "s3://media-in/dictation.flac", "OutputBucketName": "out-bucket"},
        {"media_uri": "s3://media-in/visits/visit 0412.wav", "output_bucket": "out-bucket", "type": "CONVERSATION"},
    ]
    path = _write(tmp_path, "m.jsonl", "\n".join(json.dumps(row) for row in rows) + "\n")
    names = [request.job_name for request in read_manifest(path)]
    assert re.fullmatch(r"visit-0412-[0-9a-f]{12}", names[0])
    assert re.fullmatch(r"dictation-[0-9a-f]{12}", names[1])
    assert names[2] != names[0] and names[2].startswith("visit-0412-")  # other settings, another job
    # The same shape `transcribe` gives a local file of that name.
    assert re.fullmatch(r"visit-0412-[0-9a-f]{12}", default_job_name("visit 0412.wav"))
