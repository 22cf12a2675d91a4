"""Benchmark 5: bulk job submission against a throttling moto server (25 starts/s).

``transcribe_medical.local.throttled_moto`` runs in a subprocess on 127.0.0.1: moto behind a token bucket that answers
``LimitExceededException`` to any StartMedicalTranscriptionJob above the rate, and counts the
starts it accepted per job name. The same N job requests are submitted twice, the server reset
in between:

* ours: ``TranscribeMedical(...).jobs.submit_many(requests, rate=25, state_path=...)`` (or
  ``transcribe_medical.batch.bulk.submit_many(client.jobs, ...)`` while the facade method is not
  wired), with a state file as a resumable run has, told the quota it must respect (25/s);
* baseline: the naive loop everyone writes first — ``boto3.client("transcribe")`` with its
  default retries, calling ``start_medical_transcription_job`` once per request and giving up on
  a request when botocore's retries are exhausted.

Reported: the achieved rate as a fraction of the limit (N / wall-clock time / 25; target
>= 90 %), and from the server's counters the lost (never accepted) and duplicated (accepted
more than once) submissions (target 0 and 0). The ratio column is our rate over the naive loop's.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _harness import Result, at_least

__all__ = ["run"]

RATE_LIMIT = 25.0
BURST = 5.0
TARGET_FRACTION = 0.90
_CREDENTIALS = {"aws_access_key_id": "AKIDBENCHMARK0000000", "aws_secret_access_key": "benchmark-secret"}
_REGION = "us-east-1"


@contextlib.contextmanager
def throttled_moto(rate: float = RATE_LIMIT, burst: float = BURST) -> Iterator[str]:
    """Start the throttled moto server in a subprocess; yield its endpoint URL; stop it afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "transcribe_medical.local.throttled_moto", "--rate", str(rate), "--burst", str(burst)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the throttled moto server did not start (said {line!r})")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _post(url: str) -> None:
    with urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b"")) as response:
        response.read()


def _reset(endpoint: str) -> None:
    _post(f"{endpoint}/moto-api/reset")
    _post(f"{endpoint}/_bench/reset")


def _stats(endpoint: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{endpoint}/_bench/stats") as response:
        stats: dict[str, Any] = json.load(response)
        return stats


def _job_params(count: int, run_name: str) -> list[dict[str, Any]]:
    return [
        {
            "MedicalTranscriptionJobName": f"bench-{run_name}-{number:05d}",
            "LanguageCode": "en-US",
            "Media": {"MediaFileUri": f"s3://bench-audio/visits/visit-{number:05d}.wav"},
            "OutputBucketName": "bench-transcripts",
            "Specialty": "PRIMARYCARE",
            "Type": "DICTATION",
        }
        for number in range(count)
    ]


def _naive_boto3_loop(endpoint: str, jobs: list[dict[str, Any]]) -> dict[str, Any]:
    import boto3

    client = boto3.client("transcribe", endpoint_url=endpoint, region_name=_REGION, **_CREDENTIALS)
    gave_up = 0
    for params in jobs:
        try:
            client.start_medical_transcription_job(**params)
        except client.exceptions.ClientError:
            gave_up += 1
    return {"gave_up": gave_up}


def _submit_many(endpoint: str, jobs: list[dict[str, Any]]) -> dict[str, Any]:
    from transcribe_medical import StartJobRequest, TranscribeMedical
    from transcribe_medical.batch import bulk

    requests = [StartJobRequest.model_validate(params) for params in jobs]
    state_path = Path(tempfile.mkdtemp(prefix="bench-bulk-")) / "state.sqlite"
    with TranscribeMedical(region_name=_REGION, endpoint_url=endpoint, boto3_session=_boto3_session()) as client:
        submit_many = getattr(client.jobs, "submit_many", None)
        if submit_many is None:  # the facade method not wired yet: call the module's function
            outcome = bulk.submit_many(client.jobs, requests, rate=RATE_LIMIT, state_path=state_path)
        else:
            accepted = inspect.signature(submit_many).parameters
            options: dict[str, Any] = {"rate": RATE_LIMIT, "state_path": state_path}
            if "progress" in accepted:
                options["progress"] = None
            outcome = submit_many(requests, **{k: v for k, v in options.items() if k in accepted})
    summary = outcome.summary() if hasattr(outcome, "summary") else repr(outcome)
    return {"outcome": str(summary)[:300]}


def _boto3_session() -> Any:
    import boto3

    return boto3.Session(region_name=_REGION, **_CREDENTIALS)


def _measure(endpoint: str, submit: Any, jobs: list[dict[str, Any]]) -> dict[str, Any]:
    _reset(endpoint)
    started = time.perf_counter()
    extra = submit(endpoint, jobs)
    elapsed = time.perf_counter() - started
    stats = _stats(endpoint)
    accepted: dict[str, int] = stats["accepted"]
    names = [params["MedicalTranscriptionJobName"] for params in jobs]
    return {
        "elapsed_s": elapsed,
        "rate": len(names) / elapsed,
        "fraction": len(names) / elapsed / RATE_LIMIT,
        "lost": sum(1 for name in names if accepted.get(name, 0) == 0),
        "duplicated": sum(1 for name in names if accepted.get(name, 0) > 1),
        "throttled": stats["throttled"],
        **extra,
    }


def _has_submit_many() -> bool:
    try:
        from transcribe_medical.batch import bulk
    except ImportError:
        return False
    return hasattr(bulk, "submit_many")


def run(short: bool = False) -> list[Result]:
    """Submit N jobs with ``submit_many`` and with a naive boto3 loop; return the bulk row."""
    count = 50 if short else 1000
    title = f"5. bulk: {count} starts at a {RATE_LIMIT:.0f}/s limit"
    target = f">= {TARGET_FRACTION:.0%} of limit, 0 lost, 0 dup"
    with throttled_moto() as endpoint:
        baseline = _measure(endpoint, _naive_boto3_loop, _job_params(count, "naive"))
        baseline_text = (
            f"{baseline['fraction']:.0%}, {baseline['lost']} lost, {baseline['duplicated']} dup (naive boto3 loop)"
        )
        if not _has_submit_many():
            pending = Result.pending(title, target, "pending: client.jobs.submit_many does not exist yet")
            return [
                Result(
                    pending.benchmark,
                    "-",
                    baseline_text,
                    None,
                    target,
                    None,
                    pending.note,
                    details={f"baseline_{k}": v for k, v in baseline.items()},
                )
            ]
        ours = _measure(endpoint, _submit_many, _job_params(count, "ours"))
    met = at_least(ours["fraction"], TARGET_FRACTION) and ours["lost"] == 0 and ours["duplicated"] == 0
    details = {f"ours_{k}": v for k, v in ours.items()} | {f"baseline_{k}": v for k, v in baseline.items()}
    return [
        Result(
            title,
            f"{ours['fraction']:.0%}, {ours['lost']} lost, {ours['duplicated']} dup",
            baseline_text,
            ours["rate"] / baseline["rate"],
            target,
            met,
            details=details,
        )
    ]
