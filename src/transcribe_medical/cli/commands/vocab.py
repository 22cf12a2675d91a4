"""``transcribe-medical vocab create|get|list|delete``: medical custom vocabularies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from transcribe_medical.cli.app import vocab_app
from transcribe_medical.cli.commands._batch import Spinner, make_client, show_vocabularies
from transcribe_medical.cli.options import EndpointUrl, FormatOption, Profile, Region, TableFormat

__all__ = ["create", "delete", "get", "list_vocabularies", "read_phrases"]

VocabularyName = Annotated[str, typer.Argument(help="The vocabulary name.")]


def read_phrases(path: Path) -> list[str]:
    """One phrase per line; blank lines and lines starting with ``#`` are skipped.

    Raises:
        ValidationError: the file cannot be read.
    """
    from transcribe_medical._exceptions import ValidationError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ValidationError(f"--phrases: {str(path)!r} cannot be read ({reason})", field="phrases") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@vocab_app.command("create")
def create(
    name: VocabularyName,
    phrases: Annotated[Path, typer.Option("--phrases", help="A text file with one phrase per line.")],
    bucket: Annotated[str, typer.Option("--bucket", help="S3 bucket to upload the phrases to.")],
    key: Annotated[str | None, typer.Option("--key", help="Object key of the upload.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the vocabulary is READY.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait.")] = 1800.0,
    poll_interval: Annotated[float, typer.Option("--poll-interval", help="First wait between polls.")] = 5.0,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Create a medical vocabulary: upload the phrases to S3, then CreateMedicalVocabulary."""
    phrase_list = read_phrases(phrases)
    with make_client(region, profile, endpoint_url) as client:
        vocabulary = client.vocabularies.create(name, phrase_list, bucket=bucket, key=key)
        if wait:
            spinner = Spinner()
            with spinner.running(f"waiting for vocabulary {name}"):
                vocabulary = client.vocabularies.wait(
                    name,
                    timeout=timeout,
                    poll_interval=poll_interval,
                    progress=lambda v: spinner.update(f"vocabulary {v.name}: {str(v.state) if v.state else '...'}"),
                )
    show_vocabularies([vocabulary], output_format, single=True)


@vocab_app.command("get")
def get(
    name: VocabularyName,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Describe a vocabulary."""
    with make_client(region, profile, endpoint_url) as client:
        vocabulary = client.vocabularies.get(name)
    show_vocabularies([vocabulary], output_format, single=True)


@vocab_app.command("list")
def list_vocabularies(
    state: Annotated[str | None, typer.Option("--state", help="PENDING, READY or FAILED.")] = None,
    name_contains: Annotated[str | None, typer.Option("--name-contains", help="Part of the name.")] = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """List vocabularies (every page)."""
    with make_client(region, profile, endpoint_url) as client:
        vocabularies = list(client.vocabularies.list(state=state, name_contains=name_contains))
    show_vocabularies(vocabularies, output_format)


@vocab_app.command("delete")
def delete(
    name: VocabularyName,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> None:
    """Delete a vocabulary."""
    from transcribe_medical.cli.output import stderr

    with make_client(region, profile, endpoint_url) as client:
        client.vocabularies.delete(name)
    stderr.print(f"deleted vocabulary {name}", markup=False)
