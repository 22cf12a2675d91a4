"""``transcribe-medical jobs submit-many MANIFEST``: bulk, resumable submission."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from transcribe_medical.cli.app import jobs_app
from transcribe_medical.cli.commands._batch import make_client
from transcribe_medical.cli.options import EndpointUrl, FormatOption, Profile, Region, TableFormat
from transcribe_medical.cli.output import print_json, stderr

EXIT_SERVICE = 3


@jobs_app.command("submit-many")
def submit_many_command(
    manifest: Annotated[Path, typer.Argument(help="A .jsonl or .csv file: one StartJobRequest per line.")],
    rate: Annotated[float, typer.Option("--rate", help="Requests per second at most.")] = 20.0,
    max_concurrency: Annotated[int, typer.Option("--max-concurrency", help="Requests in flight at once.")] = 8,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until every job is COMPLETED or FAILED.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="With --wait: seconds to wait in all.")] = 3600.0,
    poll_interval: Annotated[float, typer.Option("--poll-interval", help="With --wait: first poll interval.")] = 5.0,
    state: Annotated[
        Path | None, typer.Option("--state", help="State file (default: MANIFEST.state.sqlite, mode 0600).")
    ] = None,
    output_format: FormatOption = TableFormat.table,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Start every job of MANIFEST: rate-limited, retried, resumable (a re-run submits nothing twice).

    Exits 0 when every job was submitted (and, with --wait, completed); 3 when any failed.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from transcribe_medical.batch.bulk import submit_many
    from transcribe_medical.batch.manifest import read_manifest

    requests = read_manifest(manifest)
    state_path = state or manifest.with_name(manifest.name + ".state.sqlite")
    client = make_client(region, profile, endpoint_url)
    show = sys.stderr.isatty()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        disable=not show,
        transient=False,
    ) as bar:
        submitting = bar.add_task("submitting", total=len(requests))
        finishing = bar.add_task("finishing", total=len(requests), visible=wait)

        lock = threading.Lock()
        submissions_seen = 0

        def progress(_outcome: str, _name: str) -> None:
            # Each job reports exactly once while submitting; waiting starts after all have.
            nonlocal submissions_seen
            with lock:
                if submissions_seen < len(requests):
                    submissions_seen += 1
                    bar.advance(submitting)
                else:
                    bar.advance(finishing)

        result = submit_many(
            client.jobs,
            requests,
            max_concurrency=max_concurrency,
            rate=rate,
            state_path=state_path,
            wait=wait,
            timeout=timeout,
            poll_interval=poll_interval,
            progress=progress,
        )
    if output_format is TableFormat.json:
        print_json(
            {
                "submitted": result.submitted,
                "skipped": result.skipped,
                "completed": result.completed,
                "failed": result.failed,
                "state_file": str(state_path),
            }
        )
    else:
        sys.stdout.write(result.summary() + "\n")
        for name, reason in sorted(result.failed.items()):
            sys.stdout.write(f"FAILED {name}: {reason}\n")
    if not result.ok:
        raise typer.Exit(EXIT_SERVICE)
