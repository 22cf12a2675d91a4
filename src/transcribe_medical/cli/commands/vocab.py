"""``transcribe-medical vocab create|update|get|list|delete``: medical custom vocabularies.

A vocabulary comes from a file: ``--phrases FILE`` (AWS's table format, or one phrase per line),
checked and uploaded to ``--bucket``, or ``--file-uri s3://bucket/key`` of a file already in S3.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from transcribe_medical.cli.app import vocab_app
from transcribe_medical.cli.commands._batch import Spinner, make_client, show_vocabularies
from transcribe_medical.cli.options import EndpointUrl, FormatOption, Profile, Region, TableFormat

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.batch.vocabulary_files import VocabularyFile
    from transcribe_medical.models.batch import MedicalVocabulary

__all__ = ["create", "delete", "get", "list_vocabularies", "read_phrases", "read_vocabulary_file", "update"]

VocabularyName = Annotated[str, typer.Argument(help="The vocabulary name.")]
PhrasesFile = Annotated[
    Path | None,
    typer.Option(
        "--phrases",
        metavar="FILE",
        help="A vocabulary file: AWS's table (Phrase<TAB>SoundsLike<TAB>IPA<TAB>DisplayAs header) "
        "or one phrase per line; uploaded to --bucket first.",
    ),
]
FileUri = Annotated[
    str | None,
    typer.Option("--file-uri", metavar="S3_URI", help="s3://bucket/key of a table-format file already in S3."),
]
Bucket = Annotated[str | None, typer.Option("--bucket", help="S3 bucket to upload --phrases to.")]
Key = Annotated[str | None, typer.Option("--key", help="Object key of the upload.")]
Wait = Annotated[bool, typer.Option("--wait", help="Wait until the vocabulary is READY.")]
WaitTimeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait.")]
PollInterval = Annotated[float, typer.Option("--poll-interval", help="First wait between polls.")]


def read_vocabulary_file(path: Path) -> VocabularyFile:
    """Read a vocabulary file, table or list format (see :mod:`transcribe_medical.batch.vocabulary_files`).

    Raises:
        ValidationError: the file cannot be read, or breaks a rule of its format.
    """
    from transcribe_medical._exceptions import ValidationError
    from transcribe_medical.batch.vocabulary_files import parse_vocabulary_file

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ValidationError(f"--phrases: {path} cannot be read ({reason})", field="phrases") from None
    return parse_vocabulary_file(text, source=f"--phrases {path}")


def read_phrases(path: Path) -> list[str]:
    """The phrases of a vocabulary file (table or list format).

    Raises:
        ValidationError: the file cannot be read, or breaks a rule of its format.
    """
    return list(read_vocabulary_file(path).phrases)


def _source(command: str, phrases: Path | None, file_uri: str | None, bucket: str | None) -> dict[str, Any]:
    """The facade's keyword arguments for the vocabulary's file; usage errors exit 2 in one line."""
    from transcribe_medical._exceptions import ValidationError

    if (phrases is None) == (file_uri is None):
        raise ValidationError(
            f"vocab {command}: give --phrases FILE (with --bucket to upload it to) or --file-uri s3://bucket/key",
            field="phrases",
        )
    if file_uri is not None:
        if bucket is not None:
            raise ValidationError(
                f"vocab {command}: --bucket is for uploading --phrases; --file-uri names a file already in S3",
                field="bucket",
            )
        if not file_uri.startswith("s3://"):
            raise ValidationError(
                f"--file-uri: {file_uri} is invalid: use the s3://bucket/key URI of a vocabulary file "
                "(Transcribe Medical reads vocabularies from S3 only)",
                field="file_uri",
            )
        return {"file_uri": file_uri}
    assert phrases is not None
    if bucket is None:
        raise ValidationError(
            f"vocab {command}: --phrases needs --bucket, the S3 bucket to upload it to "
            "(Transcribe Medical reads vocabularies from S3 only)",
            field="bucket",
        )
    vocabulary = read_vocabulary_file(phrases)
    if vocabulary.format == "table":
        return {"table": vocabulary.table_text}
    return {"phrases": list(vocabulary.phrases)}


def _wait(client: TranscribeMedical, name: str, timeout: float, poll_interval: float) -> MedicalVocabulary:
    spinner = Spinner()
    with spinner.running(f"waiting for vocabulary {name}"):
        return client.vocabularies.wait(
            name,
            timeout=timeout,
            poll_interval=poll_interval,
            progress=lambda v: spinner.update(f"vocabulary {v.name}: {str(v.state) if v.state else '...'}"),
        )


@vocab_app.command("create")
def create(
    name: VocabularyName,
    phrases: PhrasesFile = None,
    file_uri: FileUri = None,
    bucket: Bucket = None,
    key: Key = None,
    wait: Wait = False,
    timeout: WaitTimeout = 1800.0,
    poll_interval: PollInterval = 5.0,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Create a medical vocabulary from a file: --phrases FILE (uploaded to --bucket) or --file-uri."""
    source = _source("create", phrases, file_uri, bucket)
    with make_client(region, profile, endpoint_url) as client:
        vocabulary = client.vocabularies.create(name, bucket=bucket, key=key, **source)
        if wait:
            vocabulary = _wait(client, name, timeout, poll_interval)
    show_vocabularies([vocabulary], output_format, single=True)


@vocab_app.command("update")
def update(
    name: VocabularyName,
    phrases: PhrasesFile = None,
    file_uri: FileUri = None,
    bucket: Bucket = None,
    key: Key = None,
    wait: Wait = False,
    timeout: WaitTimeout = 1800.0,
    poll_interval: PollInterval = 5.0,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Replace a vocabulary's phrases with a new file (UpdateMedicalVocabulary; nothing is appended)."""
    source = _source("update", phrases, file_uri, bucket)
    with make_client(region, profile, endpoint_url) as client:
        vocabulary = client.vocabularies.update(name, bucket=bucket, key=key, **source)
        if wait:
            vocabulary = _wait(client, name, timeout, poll_interval)
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
