"""``transcribe-medical serve``: run the local emulator until Ctrl-C (or SIGTERM).

It creates the buckets it is given (and always a default one), prints the endpoints on stderr and
the ``export`` lines on stdout, so that another shell can point boto3, the SDK and the CLI at it::

    transcribe-medical serve --port 8443 --batch-port 5050 --bucket my-bucket
"""

from __future__ import annotations

import atexit
import gc
import ipaddress
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Final
from urllib.parse import urlsplit, urlunsplit

import typer

from transcribe_medical import _limits
from transcribe_medical.cli.app import app
from transcribe_medical.cli.main import EXIT_USAGE

if TYPE_CHECKING:
    from collections.abc import Callable

    from transcribe_medical.local import LocalTranscribeMedical

__all__ = ["BUCKET_VARIABLE", "DEFAULT_BUCKET", "serve"]

#: The bucket ``serve`` always creates.
DEFAULT_BUCKET: Final = "transcribe-medical-local"
#: The variable of the ``export`` line that names it (for ``transcribe --bucket "$..."``).
BUCKET_VARIABLE: Final = "TRANSCRIBE_MEDICAL_BUCKET"
_STOP_SIGNALS: Final = frozenset({signal.SIGINT, signal.SIGTERM})


def require_local_extra() -> None:
    """Exit 2 with the install hint when the ``[local]`` extra is missing."""
    from transcribe_medical.local.emulator import INSTALL_HINT, local_extra_missing

    missing = local_extra_missing()
    if missing is not None:
        sys.stderr.write(f"transcribe-medical: {INSTALL_HINT} ({missing} is not installed)\n")
        raise typer.Exit(EXIT_USAGE)


def _check_buckets(names: list[str]) -> list[str]:
    # Checked before anything starts, so a typo costs no emulator start-up.
    for name in names:
        if not re.fullmatch(_limits.BUCKET_PATTERN, name):
            sys.stderr.write(
                f"transcribe-medical: --bucket: {name} is invalid: use a bucket name of 3-63 characters "
                "from a-z, 0-9, '.' and '-', starting and ending with a letter or digit\n"
            )
            raise typer.Exit(EXIT_USAGE)
    return list(dict.fromkeys([DEFAULT_BUCKET, *names]))


@contextmanager
def _stop_signals_held() -> Iterator[Callable[[], None]]:
    """Hold SIGINT and SIGTERM from here on; yields a function that waits for one of them.

    Blocking the signals before the emulator starts its threads means that every thread inherits
    the mask, so a Ctrl-C can only be taken by the wait, wherever it lands: during start-up (it
    stays pending and ends the wait at once) or while serving. A KeyboardInterrupt raised in the
    middle of start-up could otherwise leave a server half made, whose shutdown then never returns.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: Ctrl-C raises KeyboardInterrupt as usual
        yield _wait_for_keyboard_interrupt
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield _wait_for_signal
    finally:
        # A second Ctrl-C during shutdown has been honoured by shutting down; do not let it turn
        # into a KeyboardInterrupt the moment the mask is lifted.
        while signal.sigtimedwait(_STOP_SIGNALS, 0) is not None:
            pass
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _wait_for_signal() -> None:
    signal.sigwait(_STOP_SIGNALS)


def _wait_for_keyboard_interrupt() -> None:
    stop = threading.Event()
    try:
        while not stop.wait(0.5):  # a timed wait, so that Ctrl-C is seen on every platform
            pass
    except KeyboardInterrupt:
        return


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def _check_remote(host: str, allow_remote: bool) -> None:
    if not _is_loopback(host) and not allow_remote:
        sys.stderr.write(
            f"transcribe-medical: --host: {host} is not a loopback address; audio and transcripts would be "
            "reachable from the network: add --allow-remote to serve there with fresh credentials\n"
        )
        raise typer.Exit(EXIT_USAGE)


def _warn_remote(host: str) -> None:
    sys.stderr.write(
        f"WARNING: serving on {host}: the audio, transcripts and notes (PHI) sent to this emulator are "
        "reachable from the network, over plain HTTP and WebSocket. Only the credentials in the export "
        "lines below are accepted; they are new for this run.\n"
    )


def _reachable(value: str) -> str:
    """``value``, with a URL bound on every interface (0.0.0.0, ::) named by its loopback address.

    A wildcard is where to listen, not where to connect: the SDK refuses plain ``ws://`` toward
    any host but loopback, so the export lines name the address the shell they are pasted into
    (on this machine) can use; another machine uses the server's own address.
    """
    try:
        parts = urlsplit(value)
        port = parts.port
        wildcard = parts.hostname is not None and ipaddress.ip_address(parts.hostname).is_unspecified
    except ValueError:
        return value  # not a URL with an IP address (a host name, a key)
    if not wildcard:
        return value
    loopback = "[::1]" if ":" in (parts.hostname or "") else "127.0.0.1"
    return urlunsplit(parts._replace(netloc=loopback if port is None else f"{loopback}:{port}"))


def _announce(emulator: LocalTranscribeMedical, buckets: list[str]) -> None:
    sys.stderr.write(
        "Transcribe Medical emulator running (no AWS account involved)\n"
        f"  streaming  {emulator.streaming_endpoint}\n"
        f"  batch, S3  {emulator.endpoint_url}\n"
        f"  buckets    {', '.join(buckets)}\n"
        "Point another shell at it with these lines; press Ctrl-C to stop.\n"
    )
    for name, value in emulator.environment().items():
        sys.stdout.write(f"export {name}={_reachable(value)}\n")
    sys.stdout.write(f"export {BUCKET_VARIABLE}={buckets[0]}\n")
    sys.stdout.flush()
    sys.stderr.flush()


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind (default: loopback only).")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Streaming (WebSocket) port; 0 = any free port.")
    ] = 8443,
    batch_port: Annotated[
        int, typer.Option("--batch-port", min=0, max=65535, help="Batch + S3 (moto) port; 0 = any free port.")
    ] = 0,
    region: Annotated[str, typer.Option("--region", help="The emulated AWS Region.")] = "us-east-1",
    bucket: Annotated[
        list[str] | None,
        typer.Option(
            "--bucket",
            metavar="NAME",
            help=f"Create this S3 bucket too (repeatable); {DEFAULT_BUCKET} is always created.",
        ),
    ] = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Allow a --host that is not loopback: fresh random credentials, printed in the export lines only.",
        ),
    ] = False,
) -> None:
    """Run the local emulator of Transcribe Medical (streaming + batch) until Ctrl-C."""
    _check_remote(host, allow_remote)
    require_local_extra()
    buckets = _check_buckets(list(bucket or ()))
    from transcribe_medical.local import LocalTranscribeMedical

    remote = not _is_loopback(host)
    if remote:
        from transcribe_medical.local.signed_requests import SignedRequestsLayer
        from transcribe_medical.local.sigv4_verifier import random_credentials

        credentials = random_credentials()
        _warn_remote(host)
        emulator = LocalTranscribeMedical(
            host=host,
            streaming_port=port,
            batch_port=batch_port,
            region=region,
            credentials=credentials,
            layers=[SignedRequestsLayer(credentials)],
        )
    else:
        emulator = LocalTranscribeMedical(host=host, streaming_port=port, batch_port=batch_port, region=region)
    with _stop_signals_held() as wait_for_stop:
        try:
            try:
                emulator.start()
            except OSError as error:
                sys.stderr.write(
                    f"transcribe-medical: cannot listen on {host} ({error.strerror or error}); "
                    "choose other ports with --port / --batch-port (0 picks a free one)\n"
                )
                raise typer.Exit(EXIT_USAGE) from None
            for name in buckets:
                emulator.create_bucket(name)
            _announce(emulator, buckets)
            wait_for_stop()
            sys.stderr.write("stopping the emulator\n")
        finally:
            emulator.stop()
    # The process ends next. Its last garbage collection walks every object of the ~900 modules
    # the emulator imported: half a second on an idle machine, many seconds on a loaded one (the
    # Ctrl-C test saw over 20). Frozen objects are skipped; the OS reclaims the memory anyway.
    atexit.register(gc.freeze)
