"""What the batch commands share: the client from the connection options, rows, the spinner."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.text import Text

from transcribe_medical.cli.options import TableFormat
from transcribe_medical.cli.output import print_json, print_table, printable, stderr

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.models.batch import (
        JobSummary,
        MedicalTranscriptionJob,
        MedicalVocabulary,
        VocabularySummary,
    )

__all__ = [
    "JOB_COLUMNS",
    "VOCABULARY_COLUMNS",
    "Spinner",
    "make_client",
    "show_jobs",
    "show_vocabularies",
    "shown_columns",
]

JOB_COLUMNS = ("name", "status", "specialty", "type", "creation_time", "completion_time", "failure_reason")
VOCABULARY_COLUMNS = ("name", "state", "language_code", "last_modified_time", "failure_reason")


def make_client(region: str | None, profile: str | None, endpoint_url: str | None) -> TranscribeMedical:
    """The facade for ``--region``, ``--profile`` and ``--endpoint-url`` (None: botocore's chain)."""
    from transcribe_medical._client import TranscribeMedical

    return TranscribeMedical(region_name=region, profile_name=profile, endpoint_url=endpoint_url)


def _row(model: Any) -> dict[str, Any]:
    # A vocabulary's download_uri is a presigned URL (a credential for a while): never printed.
    row: dict[str, Any] = model.model_dump(mode="json", exclude_none=True, exclude={"download_uri"})
    return row


def shown_columns(rows: list[dict[str, Any]], columns: list[str], *, single: bool) -> list[str]:
    """The columns to show: all of them for a list; for one object, those it has a value for.

    A list keeps every column so that rows line up; one object (``get``, ``create``, ``wait``)
    shows no blank field, such as a failure reason or a completion time it does not have yet.
    """
    if not single:
        return columns
    return [column for column in columns if any(row.get(column) not in (None, "") for row in rows)]


def show_jobs(
    jobs: list[MedicalTranscriptionJob] | list[JobSummary], output_format: TableFormat, *, single: bool = False
) -> None:
    """Print jobs (or job summaries) as a table or JSON on stdout."""
    rows = [_row(job) for job in jobs]
    if output_format is TableFormat.json:
        print_json(rows[0] if single and rows else rows)
    else:
        columns = list(JOB_COLUMNS)
        if single:
            columns += ["media_uri", "transcript_uri"]
        print_table(rows, shown_columns(rows, columns, single=single), title="Medical transcription jobs")


def show_vocabularies(
    vocabularies: list[MedicalVocabulary] | list[VocabularySummary],
    output_format: TableFormat,
    *,
    single: bool = False,
) -> None:
    """Print vocabularies as a table or JSON on stdout."""
    rows = [_row(vocabulary) for vocabulary in vocabularies]
    if output_format is TableFormat.json:
        print_json(rows[0] if single and rows else rows)
    else:
        columns = shown_columns(rows, list(VOCABULARY_COLUMNS), single=single)
        print_table(rows, columns, title="Medical vocabularies")


def _plain(text: str) -> Text:
    # Text, not str: rich would read "[link=...]" in a job name or status as markup.
    return Text(printable(text, one_line=True))


class Spinner:
    """A status line on stderr while waiting, shown only when a person is watching (a terminal)."""

    def __init__(self) -> None:
        self._status: Any = None

    def update(self, text: str) -> None:
        """Replace the status text (it may quote the service: shown as plain text, no controls)."""
        if self._status is not None:
            self._status.update(_plain(text))

    @contextmanager
    def running(self, text: str) -> Iterator[Spinner]:
        """Show the spinner for the duration of the ``with`` block."""
        if not sys.stderr.isatty():
            yield self
            return
        with stderr.status(_plain(text)) as status:
            self._status = status
            try:
                yield self
            finally:
                self._status = None
