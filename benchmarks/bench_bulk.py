"""Benchmark 5: bulk job submission at DEFAULT options against throttling moto servers (25/s and 50/s).

``transcribe_medical.local.throttled_moto`` runs in a subprocess on 127.0.0.1: moto behind a token bucket
that answers ``LimitExceededException`` to any StartMedicalTranscriptionJob above its quota, and
counts the starts it accepted per job name. For each quota (25/s, AWS's documented default, and 50/s,
an account whose quota was raised) the same N job requests are submitted twice, the server reset in
between:

* ours: ``TranscribeMedical(...).jobs.submit_many(requests, state_path=...)`` at its default options,
  with a state file as a resumable run has. It is not told the quota: the adaptive rate starts at the
  documented default and must find the quota itself;
* baseline: the naive loop everyone writes first — ``boto3.client("transcribe")`` with its
  default retries, calling ``start_medical_transcription_job`` once per request and giving up on
  a request when botocore's retries are exhausted.

Reported per quota: the achieved rate as a fraction of the quota (N / wall-clock time of the
submission, client already made / quota;
target >= 90 %), and from the server's counters the lost (never accepted) and duplicated (accepted
more than once) submissions (target 0 and 0). The ratio column is our rate over the naive loop's.
With ``--short`` each run lasts about 10 s at the quota and the naive loop submits 50 jobs.
"""

from __future__ import annotations

import contextlib
import json
import logging
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

QUOTAS = (25.0, 50.0)
BURST = 5.0
TARGET_FRACTION = 0.90
#: Seconds of submission at the quota in a ``--short`` run, and the naive loop's jobs there.
SHORT_SECONDS = 10.0
SHORT_BASELINE_JOBS = 50
FULL_JOBS = 1000
_CREDENTIALS = {"aws_access_key_id": "AKIDBENCHMARK0000000", "aws_secret_access_key": "benchmark-secret"}
_REGION = "us-east-1"


@contextlib.contextmanager
def throttled_moto(rate: float, burst: float = BURST) -> Iterator[str]:
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
    started = time.perf_counter()
    for params in jobs:
        try:
            client.start_medical_transcription_job(**params)
        except client.exceptions.ClientError:
            gave_up += 1
    return {"elapsed_s": time.perf_counter() - started, "gave_up": gave_up}


class _RateLog(logging.Handler):
    """Keeps the submitter's closing log line, which names the rate it settled at."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _submit_many(endpoint: str, jobs: list[dict[str, Any]]) -> dict[str, Any]:
    from transcribe_medical import StartJobRequest, TranscribeMedical

    requests = [StartJobRequest.model_validate(params) for params in jobs]
    state_path = Path(tempfile.mkdtemp(prefix="bench-bulk-")) / "state.sqlite"
    logger = logging.getLogger("transcribe_medical.bulk")
    handler, level = _RateLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with TranscribeMedical(region_name=_REGION, endpoint_url=endpoint, boto3_session=_boto3_session()) as client:
            # DEFAULT options: no rate, no concurrency; only the state file a resumable run has.
            started = time.perf_counter()
            outcome = client.jobs.submit_many(requests, state_path=state_path)
            elapsed = time.perf_counter() - started
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    settled = next((line for line in handler.lines if line.startswith("adaptive rate")), "")
    return {"elapsed_s": elapsed, "outcome": outcome.summary(), "settled": settled}


def _boto3_session() -> Any:
    import boto3

    return boto3.Session(region_name=_REGION, **_CREDENTIALS)


def _measure(endpoint: str, quota: float, submit: Any, jobs: list[dict[str, Any]]) -> dict[str, Any]:
    _reset(endpoint)
    extra = submit(endpoint, jobs)  # times the submission itself, not the making of a client
    elapsed = extra.pop("elapsed_s")
    stats = _stats(endpoint)
    accepted: dict[str, int] = stats["accepted"]
    names = [params["MedicalTranscriptionJobName"] for params in jobs]
    return {
        "jobs": len(names),
        "elapsed_s": elapsed,
        "rate": len(names) / elapsed,
        "fraction": len(names) / elapsed / quota,
        "lost": sum(1 for name in names if accepted.get(name, 0) == 0),
        "duplicated": sum(1 for name in names if accepted.get(name, 0) > 1),
        "throttled": stats["throttled"],
        **extra,
    }


def _row(quota: float, letter: str, short: bool) -> Result:
    count = round(quota * SHORT_SECONDS) if short else FULL_JOBS
    title = f"5{letter}. bulk at defaults: {count} starts, {quota:.0f}/s quota"
    target = f">= {TARGET_FRACTION:.0%} of quota, 0 lost, 0 dup"
    with throttled_moto(quota) as endpoint:
        baseline_jobs = _job_params(SHORT_BASELINE_JOBS if short else count, f"naive-{quota:.0f}")
        baseline = _measure(endpoint, quota, _naive_boto3_loop, baseline_jobs)
        ours = _measure(endpoint, quota, _submit_many, _job_params(count, f"ours-{quota:.0f}"))
    met = at_least(ours["fraction"], TARGET_FRACTION) and ours["lost"] == 0 and ours["duplicated"] == 0
    details = {f"ours_{k}": v for k, v in ours.items()} | {f"baseline_{k}": v for k, v in baseline.items()}
    return Result(
        title,
        f"{ours['fraction']:.0%}, {ours['lost']} lost, {ours['duplicated']} dup",
        f"{baseline['fraction']:.0%}, {baseline['lost']} lost, {baseline['duplicated']} dup (naive boto3 loop)",
        ours["rate"] / baseline["rate"],
        target,
        met,
        note=f"{ours['settled']} (each retried, same job name)" if ours["settled"] else "",
        details=details,
    )


def run(short: bool = False) -> list[Result]:
    """Submit jobs at default options and with a naive boto3 loop against each quota; one row per quota."""
    return [_row(quota, letter, short) for quota, letter in zip(QUOTAS, "ab", strict=True)]
