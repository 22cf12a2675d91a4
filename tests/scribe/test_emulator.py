"""End to end against the emulator: the bundled two-person visit through the API (sync, asyncio) and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fhir.resources.R4B.documentreference import DocumentReference

from transcribe_medical.cli import main
from transcribe_medical.local import LocalTranscribeMedical
from transcribe_medical.models.enums import JobStatus
from transcribe_medical.scribe import ScribeResult

VISIT = Path(__file__).resolve().parents[2] / "src" / "transcribe_medical" / "local" / "data" / "sample_visit.wav"
ROLE_ARN = "arn:aws:iam::123456789012:role/HealthScribeAccess"  # the emulator's account
CHANNELS = [{"channel_id": 0, "participant_role": "CLINICIAN"}, {"channel_id": 1, "participant_role": "PATIENT"}]
MAIN_SECTIONS = {"CHIEF_COMPLAINT", "HISTORY_OF_PRESENT_ILLNESS", "ASSESSMENT", "PLAN"}


@pytest.fixture(scope="module")
def emulator() -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical() as running:
        running.create_bucket("visits")
        yield running


@pytest.fixture
def emulator_env(emulator: LocalTranscribeMedical, monkeypatch: pytest.MonkeyPatch) -> LocalTranscribeMedical:
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    return emulator


def check_visit(result: ScribeResult) -> None:
    assert result.job.status is JobStatus.COMPLETED
    assert set(result.note.section_names) >= MAIN_SECTIONS
    assert all(section.sentences for section in result.note.sections)
    assert result.note.is_emulated
    # Every evidence link names a segment of the transcript, and every sentence has one.
    assert result.note.evidence_ids and result.note.missing_evidence(result.transcript) == []
    assert all(entry.segments and not entry.missing for entry in result.evidence())
    assert set(result.transcript.speakers) == {"CLINICIAN_0", "PATIENT_0"}
    assert all(segment.segment_id for segment in result.transcript.segments)


def test_the_bundled_visit_gives_a_note_whose_evidence_is_in_the_transcript(emulator: LocalTranscribeMedical) -> None:
    with emulator.client() as client:
        result = client.scribe.jobs.transcribe_file(
            VISIT, bucket="visits", role_arn=ROLE_ARN, channel_definitions=CHANNELS, poll_interval=0.2
        )
        check_visit(result)
        assert result.note.template == "HISTORY_AND_PHYSICAL"
        patient = [s for s in result.transcript.segments if s.speaker == "PATIENT_0"]
        assert "sore throat" in patient[0].text.lower()
        assert result.job.name in [summary.name for summary in client.scribe.jobs.list(status="COMPLETED")]


def test_the_asyncio_client_runs_the_same_visit_with_another_template(emulator: LocalTranscribeMedical) -> None:
    async def scenario() -> ScribeResult:
        async with emulator.async_client() as client:
            return await client.scribe.jobs.transcribe_file(
                VISIT,
                bucket="visits",
                role_arn=ROLE_ARN,
                template="PHYSICAL_SOAP",
                channel_definitions=CHANNELS,
                poll_interval=0.2,
            )

    result = asyncio.run(scenario())
    assert set(result.note.section_names) >= {"SUBJECTIVE", "OBJECTIVE", "ASSESSMENT", "PLAN"}
    assert set(result.transcript.speakers) == {"CLINICIAN_0", "PATIENT_0"}
    assert result.note.template == "PHYSICAL_SOAP"
    assert result.note.missing_evidence(result.transcript) == []


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_cli_transcribes_the_visit_and_writes_the_note(
    emulator_env: LocalTranscribeMedical, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "note.html"
    code, out, err = run(
        capsys,
        "scribe", "transcribe", str(VISIT), "--bucket", "visits", "--role-arn", ROLE_ARN,
        "--channel-roles", "0=CLINICIAN,1=PATIENT", "--name", "cli-visit", "--poll-interval", "0.2",
        "--format", "html", "-o", str(page),
    )  # fmt: skip
    assert code == 0, err
    assert stat.S_IMODE(os.stat(page).st_mode) == 0o600
    html = page.read_text()
    assert 'class="card transcript"' in html and "CLINICIAN_0" in html and "not in the transcript" not in html

    code, out, err = run(capsys, "scribe", "get", "cli-visit", "--format", "json")
    assert code == 0 and json.loads(out)["status"] == "COMPLETED"
    code, out, err = run(capsys, "scribe", "list", "--name-contains", "cli-visit")
    assert code == 0 and "cli-visit" in out
    code, out, err = run(capsys, "scribe", "note", "cli-visit")
    assert code == 0 and out.startswith("# Clinical note") and "## Chief complaint" in out
    code, out, err = run(capsys, "scribe", "note", "cli-visit", "--format", "fhir", "--subject", "Patient/visit-1")
    assert code == 0
    assert DocumentReference.model_validate_json(out).subject.reference == "Patient/visit-1"
    # The transcript from the CLI: roles as speakers, and every evidence link of the note names one of its segments.
    code, out, err = run(capsys, "scribe", "note", "cli-visit", "--format", "json")
    sections = json.loads(out)["ClinicalDocumentation"]["Sections"]
    cited = {link["SegmentId"] for s in sections for sentence in s["Summary"] for link in sentence["EvidenceLinks"]}
    saved = tmp_path / "transcript.json"
    code, out, err = run(capsys, "scribe", "transcript", "cli-visit", "--format", "json", "-o", str(saved))
    assert code == 0, err
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    segments = json.loads(saved.read_text())["segments"]
    assert cited and cited <= {segment["segment_id"] for segment in segments}
    assert {segment["speaker"] for segment in segments} == {"CLINICIAN_0", "PATIENT_0"}
    code, out, err = run(capsys, "scribe", "transcript", "cli-visit")
    assert code == 0 and "CLINICIAN_0" in out and "PATIENT_0" in out
    code, out, err = run(capsys, "scribe", "wait", "cli-visit", "--format", "json")
    assert code == 0 and json.loads(out)["clinical_document_uri"].endswith(".json")
    code, out, err = run(capsys, "scribe", "delete", "cli-visit")
    assert code == 0
    code, out, err = run(capsys, "scribe", "get", "cli-visit")
    assert code == 3 and len(err.strip().splitlines()) == 1


def test_the_cli_starts_a_job_that_fails_and_wait_exits_3_with_the_reason(
    emulator_env: LocalTranscribeMedical, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        "scribe", "start", "s3://visits/missing.wav", "--role-arn", ROLE_ARN, "--output-bucket", "visits",
        "--name", "cli-missing", "--wait", "--poll-interval", "0.2",
    )  # fmt: skip
    assert code == 3
    assert "cli-missing FAILED:" in err and len(err.strip().splitlines()) == 1


def test_the_cli_manages_vocabulary_filters(
    emulator_env: LocalTranscribeMedical, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    words = tmp_path / "words.txt"
    words.write_text("darn\nheck\n")
    code, out, err = run(capsys, "vocab-filter", "create", "cli-words", "--words-file", str(words), "--format", "json")
    assert code == 0 and json.loads(out)["name"] == "cli-words"
    code, out, err = run(capsys, "vocab-filter", "get", "cli-words", "--format", "json")
    assert code == 0 and "download_uri" not in out and "http" not in out
    code, out, err = run(capsys, "vocab-filter", "update", "cli-words", "--word", "gosh")
    assert code == 0
    code, out, err = run(capsys, "vocab-filter", "list", "--name-contains", "cli-")
    assert code == 0 and "cli-words" in out
    code, _, err = run(capsys, "vocab-filter", "delete", "cli-words")
    assert code == 0, err
    code, _, _ = run(capsys, "vocab-filter", "get", "cli-words")
    assert code == 3


# Nothing listens on port 9 of the loopback: a command that sent anything would exit 5, not 2.
NOWHERE = ["--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"]
START = ["scribe", "start", "s3://visits/v.wav", "--output-bucket", "visits"]
STREAM = ["scribe", "stream", str(VISIT), "--role-arn", ROLE_ARN, "--output-bucket", "visits"]


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        ([*START, "--role-arn", "arn:aws:iam::1:user/x"], "--role-arn"),
        # Messages name the options typed, never the API's field names.
        ([*START, "--role-arn", ROLE_ARN, "--speaker-labels"], "--max-speakers is required with --speaker-labels:"),
        (
            [*START, "--role-arn", ROLE_ARN, "--max-speakers", "3", "--channel-roles", "0=CLINICIAN,1=PATIENT"],
            "--max-speakers 3 is invalid without --speaker-labels:",
        ),
        (
            [*START, "--role-arn", ROLE_ARN, "--channel-roles", "0=CLINICIAN,1=CLINICIAN"],
            "--channel-roles: roles CLINICIAN and CLINICIAN are invalid",
        ),
        (
            [*START, "--role-arn", ROLE_ARN, "--channel-roles", "0=CLINICIAN"],
            "--channel-roles: '0=CLINICIAN' is invalid: give two channels",
        ),
        (
            [
                *START,
                "--role-arn",
                ROLE_ARN,
                "--channel-roles",
                "0=CLINICIAN,1=PATIENT",
                "--speaker-labels",
                "--max-speakers",
                "2",
            ],
            "show_speaker_labels",
        ),
        (
            [*START, "--role-arn", ROLE_ARN, "--vocabulary-filter", "words"],
            "--filter-method is required with --vocabulary-filter 'words':",
        ),
        ([*START, "--role-arn", ROLE_ARN, "--filter-method", "mask"], "--filter-method 'mask' is invalid"),
        ([*START, "--role-arn", ROLE_ARN, "--template", "SOAP"], "--template 'SOAP' is invalid"),
        ([*START, "--role-arn", ROLE_ARN, "--pronouns", "HIM"], "--pronouns 'HIM' is invalid"),
        ([*START, "--role-arn", ROLE_ARN, "--name", "visit 1"], "--name: 'visit 1' is invalid"),
        ([*START, "--role-arn", ROLE_ARN, "--kms-key", "my key"], "--kms-key: 'my key' is invalid"),
        ([*START, "--role-arn", ROLE_ARN, "--kms-encryption-context", "a=b"], "--kms-encryption-context"),
        ([*START, "--role-arn", ROLE_ARN, "--tag", "novalue"], "--tag"),
        ([*START, "--role-arn", ROLE_ARN, "--tag", "k=" + "v" * 257], "--tag: {'k'"),
        (
            ["scribe", "start", "s3://visits/v.wav", "--output-bucket", "s3://visits", "--role-arn", ROLE_ARN],
            "--output-bucket",
        ),
        (["scribe", "note", "visit", "--format", "pdf"], "format"),
        (["scribe", "transcript", "visit", "--format", "pdf"], "--format: 'pdf' is invalid"),
        (["scribe", "list", "--status", "DONE"], "status"),
        (["scribe", "transcribe", "missing.wav", "--bucket", "visits", "--role-arn", ROLE_ARN], "FILE"),
        (["scribe", "transcribe", "missing.wav", "--bucket", "visits", "--role-arn", "role"], "--role-arn"),
        (
            ["scribe", "transcribe", str(VISIT), "--bucket", "visits", "--role-arn", ROLE_ARN, "--speaker-labels"],
            "--max-speakers is required with --speaker-labels:",
        ),
        (
            ["scribe", "transcribe", str(VISIT), "--bucket", "visits", "--role-arn", ROLE_ARN, "--pronouns", "HIM"],
            "--pronouns 'HIM' is invalid",
        ),
        (
            [*STREAM, "--template", "SOAP"],
            "--template 'SOAP' is invalid",
        ),
        (
            [*STREAM, "--vocabulary-filter", "words"],
            "--filter-method: give it together with",
        ),
        (["vocab-filter", "create", "words"], "words"),
        (["vocab-filter", "create", "bad name", "--word", "a"], "name"),
    ],
)
def test_the_cli_refuses_bad_input_before_sending_with_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], names: str
) -> None:
    code, out, err = run(capsys, *argv, *NOWHERE)
    assert code == 2, err
    assert names in err and len(err.strip().splitlines()) == 1
    assert out == ""


def test_the_example_runs_on_the_bundled_visit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import runpy

    example = Path(__file__).resolve().parents[2] / "examples" / "healthscribe_job.py"
    monkeypatch.setattr("sys.argv", [str(example), "--local", "--out", str(tmp_path)])
    runpy.run_path(str(example), run_name="__main__")
    out = capsys.readouterr().out
    assert "[CHIEF_COMPLAINT]" in out and "PATIENT_0" in out
    fhir = DocumentReference.model_validate_json((tmp_path / "note.fhir.json").read_text())
    assert fhir.status == "current"
    assert stat.S_IMODE(os.stat(tmp_path / "note.html").st_mode) == 0o600
