"""A moto server on 127.0.0.1 that throttles StartMedicalTranscriptionJob like the real service.

For testing bulk submission (yours or ours) against quotas: in-process as
:class:`ThrottledMotoServer`, or as a subprocess (the benchmarks run it so)::

    python -m transcribe_medical.local.throttled_moto --rate 25 --burst 5

It prints ``PORT <n>`` once listening, then serves until killed. A WSGI middleware in front of
moto's app holds a token bucket of ``--rate`` tokens per second (capacity ``--burst``); a
``StartMedicalTranscriptionJob`` that finds the bucket empty is answered ``400
LimitExceededException``, as Transcribe does, and never reaches moto. Every other operation
passes through. The middleware also counts, per job name, how many starts were *accepted*, so
a test can tell lost submissions (0 accepted) from duplicated ones (more than 1), and counts the
starts that reached moto per name (a second one for the same name is a resubmission, answered
``ConflictException``):

* ``GET /_bench/stats`` → ``{"accepted": {name: count}, "reached": {name: count}, "throttled": n,
  "first": t, "last": t, "requests": [[t, operation], ...]}`` (``first``/``last``:
  ``time.monotonic()`` of the first and last accepted start; ``requests``: the arrival time and
  operation of every Transcribe request, throttled or not, so a test can count any window);
* ``POST /_bench/reset`` → clears the counters (moto's own ``POST /moto-api/reset`` clears its state).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from transcribe_medical.local.aws_json import WsgiApp
from transcribe_medical.local.layered_server import LayeredMotoServer

__all__ = ["ThrottledMotoServer", "ThrottlingMiddleware"]

_THROTTLED_TARGET = "Transcribe.StartMedicalTranscriptionJob"
_THROTTLED_BODY = json.dumps({"__type": "LimitExceededException", "Message": "Rate exceeded"}).encode()

StartResponse = Callable[..., Any]


class ThrottlingMiddleware:
    """WSGI layer: a token bucket in front of StartMedicalTranscriptionJob, and counters.

    A :class:`~transcribe_medical.local.aws_json.Layer`: ``wrap(app)`` puts it in front of an app
    (moto's, or the emulator's other layers).

    Args:
        rate: Accepted starts per second, on average.
        burst: How many starts may be accepted back to back after a pause.
        app: The WSGI application to protect (or give it later to :meth:`wrap`).
    """

    def __init__(self, rate: float, burst: float, app: WsgiApp | None = None) -> None:
        self.app = app
        self.rate = rate
        self.burst = burst
        self._lock = threading.Lock()
        self._tokens = burst
        self._updated = time.monotonic()
        self.accepted: Counter[str] = Counter()
        self.reached: Counter[str] = Counter()
        self.throttled = 0
        self.first: float | None = None
        self.last: float | None = None
        self.requests: list[tuple[float, str]] = []

    def wrap(self, app: WsgiApp) -> WsgiApp:
        """Put the throttle in front of ``app``."""
        self.app = app
        return self

    def _take_token(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve one request: the control endpoints, a throttled start, or moto."""
        path = environ.get("PATH_INFO", "")
        if path == "/_bench/stats":
            return self._json(start_response, self.stats())
        if path == "/_bench/reset":
            self.reset()
            return self._json(start_response, {"reset": True})
        if self.app is None:
            raise RuntimeError("ThrottlingMiddleware has no app to pass requests to; call wrap() first")
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("Transcribe."):
            with self._lock:
                self.requests.append((time.monotonic(), target.removeprefix("Transcribe.")))
        if target != _THROTTLED_TARGET:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        with self._lock:
            allowed = self._take_token()
            if not allowed:
                self.throttled += 1
        if not allowed:
            start_response(
                "400 Bad Request",
                [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("x-amzn-ErrorType", "LimitExceededException"),
                    ("Content-Length", str(len(_THROTTLED_BODY))),
                ],
            )
            return [_THROTTLED_BODY]
        environ["wsgi.input"] = io.BytesIO(body)
        name = json.loads(body or b"{}").get("MedicalTranscriptionJobName", "?")
        with self._lock:
            self.reached[name] += 1
        captured: dict[str, str] = {}

        def capture(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            captured["status"] = status
            return start_response(status, headers, *args)

        response = list(self.app(environ, capture))
        if captured.get("status", "").startswith("200"):
            with self._lock:
                self.accepted[name] += 1
                now = time.monotonic()
                self.first = now if self.first is None else self.first
                self.last = now
        return response

    def stats(self) -> dict[str, Any]:
        """The counters, as served by ``/_bench/stats``."""
        with self._lock:
            return {
                "accepted": dict(self.accepted),
                "reached": dict(self.reached),
                "throttled": self.throttled,
                "first": self.first,
                "last": self.last,
                "requests": list(self.requests),
            }

    def reset(self) -> None:
        """Clear the counters and refill the bucket (``POST /moto-api/reset`` clears moto's state)."""
        with self._lock:
            self.accepted.clear()
            self.reached.clear()
            self.throttled = 0
            self.first = self.last = None
            self.requests.clear()
            self._tokens = self.burst
            self._updated = time.monotonic()

    @staticmethod
    def _json(start_response: StartResponse, body: object) -> list[bytes]:
        data = json.dumps(body).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]


class ThrottledMotoServer(LayeredMotoServer):
    """moto's app with :class:`ThrottlingMiddleware` in front, served on 127.0.0.1.

    Attributes:
        middleware: The throttle and its counters.
    """

    def __init__(self, rate: float, burst: float, port: int = 0) -> None:
        self.rate = rate
        self.burst = burst
        self.middleware = ThrottlingMiddleware(rate, burst)
        super().__init__([self.middleware], host="127.0.0.1", port=port)


def main() -> None:
    """Start the server, print its port, and serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--burst", type=float, default=5.0)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = ThrottledMotoServer(args.rate, args.burst)
    server.start()
    print(f"PORT {server.get_host_and_port()[1]}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
