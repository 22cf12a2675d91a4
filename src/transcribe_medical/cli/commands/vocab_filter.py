"""``transcribe-medical vocab-filter create|get|list|update|delete``: vocabulary filters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from transcribe_medical.cli.app import app
from transcribe_medical.cli.commands._batch import make_client
from transcribe_medical.cli.options import EndpointUrl, FormatOption, Profile, Region, TableFormat

if TYPE_CHECKING:
    from transcribe_medical.scribe.responses import VocabularyFilter, VocabularyFilterSummary

__all__ = ["FILTER_COLUMNS", "vocab_filter_app"]

vocab_filter_app = typer.Typer(
    help="Vocabulary filters: words HealthScribe removes, masks or tags.", no_args_is_help=True
)
app.add_typer(vocab_filter_app, name="vocab-filter")

FILTER_COLUMNS = ("name", "language_code", "last_modified_time")

FilterName = Annotated[str, typer.Argument(help="The vocabulary filter's name.")]
Words = Annotated[list[str] | None, typer.Option("--word", help="A word or phrase to filter (repeatable).")]
WordsFile = Annotated[Path | None, typer.Option("--words-file", help="A local text file, one word or phrase per line.")]
FileUri = Annotated[
    str | None, typer.Option("--file-uri", help="s3://bucket/key of a word list (one per line) instead of words.")
]


def _words(words: list[str] | None, words_file: Path | None) -> list[str] | None:
    from transcribe_medical._exceptions import ValidationError

    if words_file is None:
        return words
    try:
        lines = words_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationError(f"--words-file: {str(words_file)!r} cannot be read ({error})", field="words") from None
    return [*(words or []), *(line.strip() for line in lines if line.strip())]


def _show(
    filters: list[VocabularyFilter] | list[VocabularyFilterSummary], fmt: TableFormat, *, single: bool = False
) -> None:
    from transcribe_medical.cli.commands._batch import shown_columns
    from transcribe_medical.cli.output import print_json, print_table

    # download_uri is a presigned URL: it is never printed.
    rows: list[dict[str, Any]] = [
        f.model_dump(mode="json", exclude_none=True, exclude={"download_uri"}) for f in filters
    ]
    if fmt is TableFormat.json:
        print_json(rows[0] if single and rows else rows)
    else:
        print_table(rows, shown_columns(rows, list(FILTER_COLUMNS), single=single), title="Vocabulary filters")


@vocab_filter_app.command("create")
def create(
    name: FilterName,
    word: Words = None,
    words_file: WordsFile = None,
    file_uri: FileUri = None,
    language_code: Annotated[str, typer.Option("--language-code", help="Language (HealthScribe: en-US).")] = "en-US",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE (repeatable).")] = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Create a vocabulary filter from --word/--words-file, or from an S3 file (--file-uri)."""
    from transcribe_medical._exceptions import ValidationError

    tags: dict[str, str] | None = None
    if tag:
        tags = {}
        for value in tag:
            key, sep, tag_value = value.partition("=")
            if not sep:
                raise ValidationError(f"--tag: {value!r} is invalid: use KEY=VALUE", field="tags")
            tags[key] = tag_value
    words = _words(word, words_file)
    with make_client(region, profile, endpoint_url) as client:
        created = client.vocabulary_filters.create(
            name, words, file_uri=file_uri, language_code=language_code, tags=tags
        )
    _show([created], output_format, single=True)


@vocab_filter_app.command("get")
def get(
    name: FilterName,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Describe a vocabulary filter."""
    with make_client(region, profile, endpoint_url) as client:
        found = client.vocabulary_filters.get(name)
    _show([found], output_format, single=True)


@vocab_filter_app.command("list")
def list_filters(
    name_contains: Annotated[str | None, typer.Option("--name-contains", help="Part of the name.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Show at most this many filters.")] = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """List vocabulary filters (every page, or --limit)."""
    from itertools import islice

    with make_client(region, profile, endpoint_url) as client:
        found = client.vocabulary_filters.list(name_contains)
        filters = list(islice(found, limit) if limit is not None else found)
    _show(filters, output_format)


@vocab_filter_app.command("update")
def update(
    name: FilterName,
    word: Words = None,
    words_file: WordsFile = None,
    file_uri: FileUri = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
    output_format: FormatOption = TableFormat.table,
) -> None:
    """Replace a vocabulary filter's words (the whole list)."""
    words = _words(word, words_file)
    with make_client(region, profile, endpoint_url) as client:
        updated = client.vocabulary_filters.update(name, words, file_uri=file_uri)
    _show([updated], output_format, single=True)


@vocab_filter_app.command("delete")
def delete(name: FilterName, region: Region = None, profile: Profile = None, endpoint_url: EndpointUrl = None) -> None:
    """Delete a vocabulary filter."""
    from transcribe_medical.cli.output import stderr

    with make_client(region, profile, endpoint_url) as client:
        client.vocabulary_filters.delete(name)
    stderr.print(f"deleted vocabulary filter {name}", markup=False)
