"""The bundled two-person visit through the emulated HealthScribe, with real recognition (pocketsphinx)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.scribe_support import CHANNELS, ROLE_ARN
from transcribe_medical.local import LocalTranscribeMedical, sample_visit

pytest.importorskip("pocketsphinx", reason="the [local] extra's recognizer")

MAIN_SECTIONS = {"CHIEF_COMPLAINT", "HISTORY_OF_PRESENT_ILLNESS", "ASSESSMENT", "PLAN"}


@pytest.fixture(scope="module")
def emu() -> Iterator[LocalTranscribeMedical]:
    with LocalTranscribeMedical() as running:  # pocketsphinx, as the demo runs it
        yield running


def _read(s3: Any, uri: str) -> dict[str, Any]:
    bucket, _, key = uri.split("amazonaws.com/", 1)[1].partition("/")
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())  # type: ignore[no-any-return]


@pytest.mark.slow
def test_the_bundled_visit_gets_a_note_whose_evidence_is_in_the_transcript(emu: LocalTranscribeMedical) -> None:
    path, turns = sample_visit()
    s3 = emu.boto3_client("s3")
    transcribe = emu.boto3_client("transcribe")
    bucket = emu.create_bucket("bundled-visit")
    s3.upload_file(path, bucket, "visit.wav")
    transcribe.start_medical_scribe_job(
        MedicalScribeJobName="bundled-visit",
        Media={"MediaFileUri": f"s3://{bucket}/visit.wav"},
        OutputBucketName=bucket,
        DataAccessRoleArn=ROLE_ARN,
        Settings={"ChannelIdentification": True},
        ChannelDefinitions=CHANNELS,
    )
    emu.wait_for_jobs(timeout=300)
    job = transcribe.get_medical_scribe_job(MedicalScribeJobName="bundled-visit")["MedicalScribeJob"]
    assert job["MedicalScribeJobStatus"] == "COMPLETED", job.get("FailureReason")

    transcript = _read(s3, job["MedicalScribeOutput"]["TranscriptFileUri"])["Conversation"]
    segments = transcript["TranscriptSegments"]
    roles = [segment["ParticipantDetails"]["ParticipantRole"] for segment in segments]
    # One segment per turn: the turns are separated by a second of silence on both channels.
    assert roles == [f"{role}_0" for role, _ in turns]
    ids = {segment["SegmentId"] for segment in segments}

    note = _read(s3, job["MedicalScribeOutput"]["ClinicalDocumentUri"])["ClinicalDocumentation"]
    names = [section["SectionName"] for section in note["Sections"]]
    assert set(names) >= MAIN_SECTIONS
    links = [
        link["SegmentId"]
        for section in note["Sections"]
        for sentence in section["Summary"]
        for link in sentence["EvidenceLinks"]
    ]
    assert links
    assert set(links) <= ids
    plan = next(section for section in note["Sections"] if section["SectionName"] == "PLAN")
    assert any("ibuprofen" in sentence["SummarizedSegment"] for sentence in plan["Summary"])
    assert note["Metadata"]["Emulated"] is True
