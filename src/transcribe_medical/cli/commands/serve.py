"""``transcribe-medical serve``: run the local emulator until Ctrl-C.

It prints the endpoints on stderr and the ``export`` lines on stdout, so that another shell can
point boto3, the SDK and the CLI at it::

    transcribe-medical serve --port 8443 --batch-port 5050
"""

from __future__ import annotations

import sys
import threading
from typing import Annotated

import typer

from transcribe_medical.cli.app import app
from transcribe_medical.cli.main import EXIT_USAGE


def require_local_extra() -> None:
    """Exit 2 with the install hint when the ``[local]`` extra is missing."""
    from transcribe_medical.local.emulator import INSTALL_HINT, local_extra_missing

    missing = local_extra_missing()
    if missing is not None:
        sys.stderr.write(f"transcribe-medical: {INSTALL_HINT} ({missing} is not installed)\n")
        raise typer.Exit(EXIT_USAGE)


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
) -> None:
    """Run the local emulator of Transcribe Medical (streaming + batch) until Ctrl-C."""
    require_local_extra()
    from transcribe_medical.local import LocalTranscribeMedical

    emulator = LocalTranscribeMedical(host=host, streaming_port=port, batch_port=batch_port, region=region)
    try:
        emulator.start()
    except OSError as error:
        sys.stderr.write(
            f"transcribe-medical: cannot listen on {host} ({error.strerror or error}); "
            "choose other ports with --port / --batch-port (0 picks a free one)\n"
        )
        raise typer.Exit(EXIT_USAGE) from None
    try:  # Ctrl-C at any point from here on is the normal way to stop
        sys.stderr.write(
            "Transcribe Medical emulator running (no AWS account involved)\n"
            f"  streaming  {emulator.streaming_endpoint}\n"
            f"  batch, S3  {emulator.endpoint_url}\n"
            "Point another shell at it with these lines; press Ctrl-C to stop.\n"
        )
        for name, value in emulator.environment().items():
            sys.stdout.write(f"export {name}={value}\n")
        sys.stdout.flush()
        sys.stderr.flush()
        threading.Event().wait()
    except KeyboardInterrupt:
        sys.stderr.write("stopping the emulator\n")
    finally:
        emulator.stop()
