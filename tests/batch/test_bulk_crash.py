"""Issue 6's acceptance for bulk: 1,000 jobs to a throttling moto server, the submitter killed
with SIGKILL midway, then re-run: exactly 1,000 jobs exist and none was submitted twice.

The submitter runs as a real process (the CLI), so the kill interrupts it wherever it is,
including between sending a StartMedicalTranscriptionJob and recording the answer.

Throttling is in play by construction, whatever the machine's speed: the first Start of every
20th job is refused with ``LimitExceededException`` (so those jobs are certainly retried), and
behind that the server's token bucket refuses whatever comes faster than its quota. It runs at a
fixed rate above the quota, and at the default, adaptive rate (which starts below the quota and
searches upwards).
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from transcribe_medical.local.layered_server import LayeredMotoServer
from transcribe_medical.local.throttled_moto import ThrottlingMiddleware

JOBS = 1000
RATE = 200.0  # the server's quota, requests per second
CLIENT_RATE = 300.0  # above the quota: the bucket throttles whenever the client keeps up
REFUSE_EVERY = 20  # the first Start of every 20th job is refused, whatever the timing
BUCKET = "bulk-crash-output"
_LIMIT_EXCEEDED = json.dumps({"__type": "LimitExceededException", "Message": "Rate exceeded"}).encode()


class RefuseFirstStart:
    """A WSGI layer that throttles the first StartMedicalTranscriptionJob of every ``every``-th job.

    Jobs are told apart by their media (``visit-NNNN.wav``); the refused ones are in :attr:`refused`.
    """

    def __init__(self, every: int) -> None:
        self.every = every
        self.refused: set[str] = set()
        self._lock = threading.Lock()
        self._app: Callable[..., Iterable[bytes]] | None = None

    def wrap(self, app: Callable[..., Iterable[bytes]]) -> RefuseFirstStart:
        self._app = app
        return self

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self._app is not None
        if environ.get("HTTP_X_AMZ_TARGET") == "Transcribe.StartMedicalTranscriptionJob":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            media = json.loads(body)["Media"]["MediaFileUri"]
            index = int(media.rsplit("-", 1)[1].removesuffix(".wav"))
            with self._lock:
                refuse = index % self.every == 0 and media not in self.refused
                if refuse:
                    self.refused.add(media)
            if refuse:
                headers = [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("Content-Length", str(len(_LIMIT_EXCEEDED))),
                ]
                start_response("400 Bad Request", headers)
                return [_LIMIT_EXCEEDED]
        return self._app(environ, start_response)


@pytest.fixture
def refuser() -> RefuseFirstStart:
    return RefuseFirstStart(REFUSE_EVERY)


@pytest.fixture
def quota() -> ThrottlingMiddleware:
    return ThrottlingMiddleware(rate=RATE, burst=10)


@pytest.fixture
def server(refuser: RefuseFirstStart, quota: ThrottlingMiddleware) -> Iterator[LayeredMotoServer]:
    # The refusals come first, so the quota's counters see only what passed them.
    running = LayeredMotoServer([refuser, quota])
    running.start()
    yield running
    # moto's state outlives its server in this process: the next test counts its own 1,000 jobs.
    host, port = running.get_host_and_port()
    with urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")) as r:
        r.read()
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


@pytest.mark.parametrize(
    "rate_options",
    [
        pytest.param(["--rate", str(CLIENT_RATE)], id="fixed-rate-above-the-quota"),
        pytest.param([], id="default-adaptive-rate"),
    ],
)
def test_kill_9_midway_and_rerun_submits_each_job_exactly_once(
    server: LayeredMotoServer,
    refuser: RefuseFirstStart,
    quota: ThrottlingMiddleware,
    tmp_path: Path,
    rate_options: list[str],
) -> None:
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
        *rate_options,
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

    stats = quota.stats()
    assert len(stats["accepted"]) == JOBS and set(stats["accepted"].values()) == {1}
    # No StartMedicalTranscriptionJob for a name ever reached the service twice (no Conflict).
    assert set(stats["reached"].values()) == {1}
    # The refused first tries of every 20th job were retried until accepted (above).
    assert len(refuser.refused) == JOBS // REFUSE_EVERY
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
