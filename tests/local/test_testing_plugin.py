"""The pytest plugin's fixtures, used the way a project built on the SDK would use them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boto3

from local.emulator_support import SCRIPT
from transcribe_medical import TranscribeMedical
from transcribe_medical.local import LocalTranscribeMedical, ScriptedRecognizer
from transcribe_medical.models.stream import StreamConfig

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"


def test_client_and_bucket_fixtures_run_a_batch_job(
    transcribe_medical_client: TranscribeMedical, transcribe_medical_bucket: str
) -> None:
    transcript = transcribe_medical_client.jobs.transcribe_file(
        AUDIO / "mono_16k.wav", bucket=transcribe_medical_bucket, poll_interval=0.1
    )
    assert "cough" in transcript.text.lower()


def test_env_fixture_points_plain_boto3_at_the_emulator(transcribe_medical_env: LocalTranscribeMedical) -> None:
    s3 = boto3.client("s3")  # no endpoint given: it comes from AWS_ENDPOINT_URL
    s3.create_bucket(Bucket="plain-boto3-bucket")
    assert "plain-boto3-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert transcribe_medical_env.endpoint_url.startswith("http://127.0.0.1:")


def test_factory_fixture_takes_emulator_options(transcribe_medical_emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emu = transcribe_medical_emulator_factory(batch=False, recognizer=ScriptedRecognizer(SCRIPT))
    with emu.client() as client:
        transcript = client.streaming.transcribe_file(AUDIO / "mono_16k.wav", StreamConfig(), realtime=False)
    assert transcript.text.startswith("Good morning")


def test_plugin_imports_nothing_from_the_local_extra() -> None:
    code = (
        "import sys, transcribe_medical.testing; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('moto', 'pocketsphinx', 'flask', 'werkzeug')"
        " or m.startswith('transcribe_medical.local')]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
