"""Vocabulary files as AWS defines them: a table (``Phrase``, ``SoundsLike``, ``IPA``, ``DisplayAs``) or a list.

A medical vocabulary is always a table-format file in S3 (CreateMedicalVocabulary reads nothing
else). People write either kind of file, so :func:`parse_vocabulary_file` reads both, checks them
against AWS's rules, and gives the table to upload:

* **table**: a header naming the four columns (in any order), separated by single tabs, then one
  row per phrase. ``Phrase`` is required, without spaces (words joined with hyphens: ``chest-x-ray``)
  and without digits (numbers spelled out); the other cells may be empty. Rows may leave out
  trailing empty cells; the uploaded table has every cell. Values are at most 256 characters.
* **list**: one phrase per line (spaces allowed); blank lines and lines starting with ``#`` are
  skipped. It is uploaded as a table whose ``Phrase`` joins the words with hyphens and whose
  ``DisplayAs`` keeps the phrase as written.

Either file is at most 50 KB once rendered as a table.

Example:
    >>> parsed = parse_vocabulary_file("Phrase\\tSoundsLike\\tIPA\\tDisplayAs\\nx-ray\\t\\t\\tX-ray\\n")
    >>> parsed.format, parsed.phrases
    ('table', ('x-ray',))
    >>> parse_vocabulary_file("atrial fibrillation\\n").table_text.splitlines()[1]
    'atrial-fibrillation\\t\\t\\tatrial fibrillation'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from transcribe_medical import _limits
from transcribe_medical._exceptions import ValidationError

__all__ = ["TABLE_COLUMNS", "VocabularyFile", "parse_vocabulary_file", "parse_vocabulary_table"]

#: The columns of AWS's table format, in AWS's documented order.
TABLE_COLUMNS: Final = ("Phrase", "SoundsLike", "IPA", "DisplayAs")
_HEADER_HINT: Final = "Phrase<TAB>SoundsLike<TAB>IPA<TAB>DisplayAs"


@dataclass(frozen=True)
class VocabularyFile:
    """A vocabulary file, read and checked.

    Attributes:
        format: ``"table"`` or ``"list"``, as the file was written.
        phrases: The phrases: the ``Phrase`` column of a table, or the lines of a list.
        table_text: The table-format file to upload (header first, tab-separated, every cell).
    """

    format: Literal["table", "list"]
    phrases: tuple[str, ...]
    table_text: str


def _refuse(source: str, where: str, problem: str) -> ValidationError:
    return ValidationError(f"{source}{where}: {problem}", field="phrases")


def _lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers (a byte-order mark and CRs are dropped)."""
    text = text.removeprefix("\ufeff")
    return [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _looks_like_table(first_line: str) -> bool:
    return "phrase" in (cell.strip().lower() for cell in first_line.split("\t"))


def _check_size(source: str, table_text: str) -> None:
    size = len(table_text.encode("utf-8"))
    if size > _limits.VOCABULARY_MAX_BYTES:
        raise _refuse(
            source,
            "",
            f"the vocabulary is {size} bytes as a table; the limit is {_limits.VOCABULARY_MAX_BYTES} "
            "bytes (50 KB): use fewer phrases",
        )


def _header(source: str, number: int, line: str) -> list[str]:
    cells = [cell.strip() for cell in line.split("\t")]
    canonical = {column.lower(): column for column in TABLE_COLUMNS}
    named = [canonical.get(cell.lower()) for cell in cells]
    if None in named or len(set(named)) != len(TABLE_COLUMNS) or len(cells) != len(TABLE_COLUMNS):
        raise _refuse(
            source,
            f" line {number}",
            f"the table header has the columns {', '.join(cells) or '(none)'}; use the four columns "
            f"{', '.join(TABLE_COLUMNS)} once each, in any order, separated by single tabs ({_HEADER_HINT})",
        )
    return [column for column in named if column is not None]


def _row(source: str, number: int, line: str, columns: list[str]) -> dict[str, str]:
    cells = [cell.strip() for cell in line.split("\t")]
    if len(cells) > len(columns):
        raise _refuse(
            source,
            f" line {number}",
            f"the row has {len(cells)} tab-separated cells; the header has {len(columns)} columns "
            "(separate cells with single tabs, and write no tab inside a value)",
        )
    row = dict.fromkeys(TABLE_COLUMNS, "")
    row.update(zip(columns, cells, strict=False))
    phrase = row["Phrase"]
    if not phrase:
        raise _refuse(source, f" line {number}", "the Phrase cell is empty; every row needs a phrase")
    if " " in phrase:
        joined = "-".join(phrase.split())
        raise _refuse(
            source,
            f" line {number}",
            f"the phrase {phrase} has spaces; in a table join its words with hyphens ({joined}) and "
            "write the spaced form in DisplayAs",
        )
    if any(character.isdigit() for character in phrase):
        raise _refuse(
            source, f" line {number}", f"the phrase {phrase} has digits; spell numbers out in the Phrase column"
        )
    for column, value in row.items():
        if len(value) > _limits.PHRASE_MAX_CHARS:
            raise _refuse(
                source,
                f" line {number}",
                f"the {column} value has {len(value)} characters; the limit is {_limits.PHRASE_MAX_CHARS}",
            )
    return row


def parse_vocabulary_table(text: str, *, source: str = "vocabulary table") -> VocabularyFile:
    """Read a table-format vocabulary file (see the module notes).

    Args:
        text: The file's text.
        source: Names the file in error messages (e.g. ``"--phrases terms.tsv"``).

    Raises:
        ValidationError: The table breaks a rule; the message names the line.
    """
    lines = _lines(text)
    if not lines:
        raise _refuse(source, "", f"the file is empty; write the header {_HEADER_HINT} and a row per phrase")
    number, first = lines[0]
    columns = _header(source, number, first)
    rows = [_row(source, row_number, line, columns) for row_number, line in lines[1:]]
    if not rows:
        raise _refuse(source, "", "the table has a header but no rows; add a row per phrase")
    rendered = ["\t".join(columns), *("\t".join(row[column] for column in columns) for row in rows)]
    table_text = "\n".join(rendered) + "\n"
    _check_size(source, table_text)
    return VocabularyFile("table", tuple(row["Phrase"] for row in rows), table_text)


def _list_table(phrases: list[str]) -> str:
    lines = ["\t".join(TABLE_COLUMNS)]
    for phrase in phrases:
        hyphenated = "-".join(phrase.split())
        lines.append(f"{hyphenated}\t\t\t{phrase if hyphenated != phrase else ''}")
    return "\n".join(lines) + "\n"


def parse_vocabulary_file(text: str, *, source: str = "vocabulary file") -> VocabularyFile:
    """Read a vocabulary file in either format: a table if its first line names a ``Phrase`` column.

    Args:
        text: The file's text.
        source: Names the file in error messages (e.g. ``"--phrases terms.txt"``).

    Raises:
        ValidationError: The file breaks a rule of its format; the message names the line.
    """
    lines = _lines(text)
    if lines and _looks_like_table(lines[0][1]):
        return parse_vocabulary_table(text, source=source)
    phrases = []
    for number, line in lines:
        phrase = line.strip()
        if phrase.startswith("#"):
            continue
        if "\t" in phrase:
            raise _refuse(
                source,
                f" line {number}",
                f"a list has one phrase per line, without tabs; a table starts with the header {_HEADER_HINT}",
            )
        if len(phrase) > _limits.PHRASE_MAX_CHARS:
            raise _refuse(
                source,
                f" line {number}",
                f"the phrase has {len(phrase)} characters; the limit is {_limits.PHRASE_MAX_CHARS}",
            )
        phrases.append(phrase)
    if not phrases:
        raise _refuse(source, "", "the file has no phrases; write one phrase per line, or a table")
    table_text = _list_table(phrases)
    _check_size(source, table_text)
    return VocabularyFile("list", tuple(phrases), table_text)
