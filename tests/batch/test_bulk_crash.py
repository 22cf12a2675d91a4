"""Issue 6's acceptance for bulk: 1,000 jobs to a throttling moto server, the submitter killed
with SIGKILL midway, then re-run: exactly 1,000 jobs exist and none was submitted twice.

The submitter runs as a real process (the CLI), so the kill interrupts it wherever it is,
including between sending a StartMedicalTranscriptionJob and recording the answer.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from transcribe_medical.local.throttled_moto import ThrottledMotoServer

JOBS = 1000
RATE = 200.0  # the server's quota, requests per second
CLIENT_RATE = 300.0  # above the quota on purpose: throttling and its retries are in play
BUCKET = "bulk-crash-output"


@pytest.fixture
def server() -> Iterator[ThrottledMotoServer]:
    running = ThrottledMotoServer(rate=RATE, burst=10)
    running.start()
    yield running
    running.stop()


def _environment(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env["AWS_ENDPOINT_URL"] = endpoint
    return env


def _submitted(state: Path) -> int:
    if not state.exists():
        return 0
    with sqlite3.connect(f"file:{state}?mode=ro", uri=True) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'submitted'").fetchone()[0])
        except sqlite3.OperationalError:  # the table is not created yet
            return 0


def test_kill_9_midway_and_rerun_submits_each_job_exactly_once(server: ThrottledMotoServer, tmp_path: Path) -> None:
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
    manifest = tmp_path / "backlog.jsonl"
    manifest.write_text(
        "\n".join(
            json.dumps({"media_uri": f"s3://media-in/visit-{i:04d}.wav", "output_bucket": BUCKET}) for i in range(JOBS)
        )
    )
    state = tmp_path / "backlog.jsonl.state.sqlite"
    command = [
        sys.executable,
        "-m",
        "transcribe_medical.cli",
        "jobs",
        "submit-many",
        str(manifest),
        "--rate",
        str(CLIENT_RATE),
        "--max-concurrency",
        "8",
        "--format",
        "json",
    ]
    env = _environment(endpoint)

    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Poll the state file (written by another process: nothing to await) until a third is in.
    deadline = time.monotonic() + 120
    while _submitted(state) < JOBS // 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert first.poll() is None, "the first run ended before it could be killed"
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL
    done_before = _submitted(state)
    assert JOBS // 3 <= done_before < JOBS

    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert second.returncode == 0, second.stderr
    result = json.loads(second.stdout)
    assert result["failed"] == {}
    assert len(result["submitted"]) + len(result["skipped"]) == JOBS
    assert len(result["skipped"]) >= done_before

    stats = server.middleware.stats() if server.middleware else {}
    assert len(stats["accepted"]) == JOBS and set(stats["accepted"].values()) == {1}
    # No StartMedicalTranscriptionJob for a name ever reached the service twice (no Conflict).
    assert set(stats["reached"].values()) == {1}
    assert stats["throttled"] > 0  # the quota was really in play
    listed = boto3.client("transcribe", region_name="us-east-1", endpoint_url=endpoint)
    names: list[str] = []
    token = None
    while True:
        page = listed.list_medical_transcription_jobs(MaxResults=100, **({"NextToken": token} if token else {}))
        names += [job["MedicalTranscriptionJobName"] for job in page["MedicalTranscriptionJobSummaries"]]
        token = page.get("NextToken")
        if not token:
            break
    assert len(names) == len(set(names)) == JOBS
