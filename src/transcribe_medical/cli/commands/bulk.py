"""``transcribe-medical jobs submit-many MANIFEST``: bulk, resumable submission."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from transcribe_medical.cli.app import jobs_app
from transcribe_medical.cli.commands._batch import make_client
from transcribe_medical.cli.options import EndpointUrl, FormatOption, Profile, Region, TableFormat
from transcribe_medical.cli.output import print_json, printable

EXIT_SERVICE = 3


@jobs_app.command("submit-many")
def submit_many_command(
    manifest: Annotated[Path, typer.Argument(help="A .jsonl or .csv file: one StartJobRequest per line.")],
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate",
            help="Requests per second at most, fixed. Default: adaptive, from the documented quota (25/s) "
            "down on throttling and up while requests succeed.",
        ),
    ] = None,
    max_rate: Annotated[
        float | None, typer.Option("--max-rate", help="Without --rate: the most requests per second to reach.")
    ] = None,
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
    from transcribe_medical.batch._polling import PollSchedule
    from transcribe_medical.batch.bulk import submit_many
    from transcribe_medical.batch.manifest import read_manifest

    # Refused before anything is sent: a NaN timeout would never pass, a NaN interval never sleep.
    PollSchedule(timeout=timeout, poll_interval=poll_interval)
    requests = read_manifest(manifest)
    state_path = state or manifest.with_name(manifest.name + ".state.sqlite")
    client = make_client(region, profile, endpoint_url)
    result = submit_many(
        client.jobs,
        requests,
        max_concurrency=max_concurrency,
        rate=rate,
        max_rate=max_rate,
        state_path=state_path,
        wait=wait,
        timeout=timeout,
        poll_interval=poll_interval,
        progress=sys.stderr.isatty(),
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
            # The reason quotes the service.
            sys.stdout.write(f"FAILED {name}: {printable(reason, one_line=True)}\n")
    if not result.ok:
        raise typer.Exit(EXIT_SERVICE)
