"""Bulk submission at its default, adaptive rate against the emulator's throttling quota: nothing
lost, nothing doubled, and a re-run with the state file sends nothing.

The server (``ThrottledMotoServer``) refuses any StartMedicalTranscriptionJob above its quota with
``LimitExceededException`` and counts, per job name, the starts it accepted and the starts that
reached moto. Its quota (5/s) is far below the documented default (25/s) the submitter starts at,
and on top of it a layer refuses the first Start of every 4th job whatever the timing, so throttled
requests, retried under the same job name, are in play by construction on any machine. Nothing
here measures speed.
"""

from __future__ import annotations

import io
import json
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from transcribe_medical import StartJobRequest, TranscribeMedical
from transcribe_medical.batch.bulk import BulkResult
from transcribe_medical.local.layered_server import LayeredMotoServer
from transcribe_medical.local.throttled_moto import ThrottlingMiddleware

JOBS = 24
QUOTA = 5.0
REFUSE_EVERY = 4
BUCKET = "bulk-adaptive-output"
_LIMIT_EXCEEDED = json.dumps({"__type": "LimitExceededException", "Message": "Rate exceeded"}).encode()


class RefuseFirstStart:
    """A WSGI layer that throttles the first StartMedicalTranscriptionJob of every ``every``-th job."""

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
            name = json.loads(body)["MedicalTranscriptionJobName"]
            with self._lock:
                refuse = int(name.rsplit("-", 1)[1]) % self.every == 0 and name not in self.refused
                if refuse:
                    self.refused.add(name)
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
    return ThrottlingMiddleware(rate=QUOTA, burst=1.0)


@pytest.fixture
def endpoint(refuser: RefuseFirstStart, quota: ThrottlingMiddleware) -> Iterator[str]:
    # The refusals come first, so the quota's counters see only what passed them.
    server = LayeredMotoServer([refuser, quota])
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    boto3.client("s3", region_name="us-east-1", endpoint_url=url).create_bucket(Bucket=BUCKET)
    yield url
    # moto's state outlives its server in this process: leave no jobs for tests that count them all.
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(request) as response:
        response.read()
    server.stop()


def _submit(endpoint: str, requests: list[StartJobRequest], state: Path) -> BulkResult:
    with TranscribeMedical(region_name="us-east-1", endpoint_url=endpoint) as client:
        return client.jobs.submit_many(requests, state_path=state)  # default options: the adaptive rate


def test_default_rate_against_a_throttling_quota_loses_and_doubles_nothing(
    endpoint: str, refuser: RefuseFirstStart, quota: ThrottlingMiddleware, tmp_path: Path
) -> None:
    # Names of this test's own, should another test have left jobs in moto's shared state.
    requests = [
        StartJobRequest(job_name=f"adaptive-{i}", media_uri=f"s3://media-in/{i}.wav", output_bucket=BUCKET)
        for i in range(JOBS)
    ]
    names = sorted(r.job_name for r in requests)
    state = tmp_path / "backlog.state.sqlite"

    result = _submit(endpoint, requests, state)

    assert result.failed == {}
    assert sorted(result.submitted) == names
    assert refuser.refused == {f"adaptive-{i}" for i in range(0, JOBS, REFUSE_EVERY)}  # each retried...
    stats = quota.stats()
    assert sorted(stats["accepted"]) == names and set(stats["accepted"].values()) == {1}  # ...0 lost, 0 doubled
    assert set(stats["reached"].values()) == {1}  # no second Start for a name ever reached the service
    starts = [operation for _, operation in stats["requests"]].count("StartMedicalTranscriptionJob")
    assert starts == JOBS + stats["throttled"]  # every Start the quota refused went again, once accepted

    quota.reset()
    again = _submit(endpoint, requests, state)
    assert sorted(again.skipped) == names and again.submitted == [] and again.ok
    assert quota.stats()["requests"] == []  # the state file answered: not one request
