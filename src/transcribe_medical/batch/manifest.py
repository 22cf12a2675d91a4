"""Bulk manifests: one StartJobRequest per line, as JSONL or CSV.

Fields use :class:`~transcribe_medical.StartJobRequest`'s snake_case names or AWS's PascalCase
names. In CSV, settings go in columns of their own (``show_speaker_labels``, ``max_speakers``,
``ShowSpeakerLabels``, ``settings.max_speakers`` ...), and tags as ``tag.<key>`` columns. A missing
``job_name`` defaults to the media file's stem and a stable hash of the media URI and the settings
(``visit-0412-3f9a0c1b2d4e``), so a re-run of the same manifest names every job the same way.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from transcribe_medical._exceptions import ValidationError
from transcribe_medical.models.batch import JobSettings, StartJobRequest

__all__ = ["job_fingerprint", "read_manifest", "request_from_row", "stable_job_name"]

_SETTINGS_FIELDS: dict[str, str] = {}
for _name, _info in JobSettings.model_fields.items():
    _SETTINGS_FIELDS[_name] = _name
    if _info.alias:
        _SETTINGS_FIELDS[_info.alias] = _name
_NAME_KEYS = ("job_name", "MedicalTranscriptionJobName")


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def stable_job_name(row: Mapping[str, Any]) -> str:
    """A job name derived from a manifest row's content (everything but its name).

    Named as ``transcribe`` names its jobs, ``<stem>-<12 hex digits>`` (``visit-0412-3f9a0c1b2d4e``
    for ``s3://bucket/visit-0412.wav``), with a hash of the row in place of a random suffix: the
    same media and settings always give the same name, so re-running a manifest after a crash
    finds the jobs it already started instead of starting them again.
    """
    from transcribe_medical.batch.jobs import default_job_name

    content = {k: v for k, v in row.items() if k not in _NAME_KEYS and v not in (None, "")}
    digest = hashlib.sha256(_canonical(content).encode()).hexdigest()[:12]
    return default_job_name(_media_key(row), suffix=digest)


def _media_key(row: Mapping[str, Any]) -> str:
    """The media file's key (``s3://bucket/path/visit.wav`` gives ``path/visit.wav``), or ``""``."""
    media = row.get("Media")
    uri = (
        row.get("media_uri")
        or row.get("MediaFileUri")
        or (media.get("MediaFileUri") if isinstance(media, dict) else None)
    )
    return str(uri).rpartition("/")[2] if isinstance(uri, str) else ""


def job_fingerprint(request: StartJobRequest) -> str:
    """A hash of everything a job is started with except its name."""
    api = request.to_api()
    api.pop("MedicalTranscriptionJobName", None)
    return hashlib.sha256(_canonical(api).encode()).hexdigest()


def _coerce_csv_value(value: str) -> Any:
    lowered = value.strip().lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    if lowered.isdecimal():
        try:
            return int(lowered)
        except ValueError:  # more digits than Python converts: left as text, the model refuses it
            return value.strip()
    return value.strip()


def _nest_csv_row(row: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    tags: dict[str, str] = {}
    for raw_key, raw_value in row.items():
        if raw_key is None or raw_value is None or raw_value.strip() == "":
            continue
        key = raw_key.strip()
        if key.startswith("tag."):
            tags[key[4:]] = raw_value.strip()
            continue
        bare = key.removeprefix("settings.").removeprefix("Settings.")
        if bare in _SETTINGS_FIELDS and (bare != key or key not in StartJobRequest.model_fields):
            settings[_SETTINGS_FIELDS[bare]] = _coerce_csv_value(raw_value)
            continue
        data[key] = (
            _coerce_csv_value(raw_value) if key in ("sample_rate", "MediaSampleRateHertz") else raw_value.strip()
        )
    if settings:
        data["settings"] = settings
    if tags:
        data["tags"] = tags
    return data


def request_from_row(row: Mapping[str, Any], *, where: str = "row") -> StartJobRequest:
    """Build a :class:`StartJobRequest` from a manifest row, naming the job if the row does not.

    Raises:
        ValidationError: the row is not a valid request; the message starts with ``where``.
    """
    data = dict(row)
    if not any(data.get(key) for key in _NAME_KEYS):
        data["job_name"] = stable_job_name(data)
    try:
        return StartJobRequest.model_validate(data)
    except ValidationError as error:
        raise ValidationError(f"{where}: {error}", field=error.field) from error


def read_manifest(path: str | Path) -> list[StartJobRequest]:
    """Read a ``.jsonl`` or ``.csv`` manifest into validated requests (all of it, before any request).

    Raises:
        ValidationError: the file is missing, of another type, malformed, lists a job name twice,
            or a line is not a valid request; the message names the file and line.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"manifest: {str(source)!r} does not exist", field="manifest") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationError(f"manifest: cannot read {source}: {error}", field="manifest") from None
    suffix = source.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        rows = list(_jsonl_rows(text, source.name))
    elif suffix == ".csv":
        rows = list(_csv_rows(text, source.name))
    else:
        raise ValidationError(
            f"manifest: {source.name!r} is neither .jsonl nor .csv; write one job per line in either", field="manifest"
        )
    if not rows:
        raise ValidationError(f"manifest: {source.name} lists no jobs", field="manifest")
    requests = [_request(row, where) for where, row in rows]
    seen: dict[str, int] = {}
    for index, request in enumerate(requests):
        if request.job_name in seen:
            raise ValidationError(
                f"{rows[index][0]}: job_name {request.job_name!r} is already used by {rows[seen[request.job_name]][0]}",
                field="job_name",
            )
        seen[request.job_name] = index
    return requests


def _request(row: Mapping[str, Any], where: str) -> StartJobRequest:
    try:
        return request_from_row(row, where=where)
    except RecursionError:
        # Nesting that JSON could still parse may be too deep to hash or validate.
        raise _too_deep(where) from None


def _too_deep(where: str) -> ValidationError:
    return ValidationError(
        f"{where}: nested too deeply to read; each line is one JSON object of job fields "
        "(settings and tags nest one level)",
        field="manifest",
    )


def _jsonl_rows(text: str, name: str) -> Iterable[tuple[str, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{name} line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValidationError(f"{where}: not valid JSON ({error.msg})", field="manifest") from None
        except RecursionError:
            # The decoder recurses once per level: a line nested thousands deep exhausts the stack.
            raise _too_deep(where) from None
        except ValueError:
            # Valid JSON that Python will not convert: an integer of too many digits.
            raise ValidationError(
                f"{where}: a number has more than {sys.get_int_max_str_digits()} digits; no job field takes one",
                field="manifest",
            ) from None
        if not isinstance(row, dict):
            raise ValidationError(f"{where}: each line must be a JSON object", field="manifest")
        yield where, row


def _csv_rows(text: str, name: str) -> Iterable[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as error:
        raise ValidationError(f"{name} line 1: not valid CSV ({error})", field="manifest") from None
    if not fieldnames:
        raise ValidationError(f"{name}: the CSV has no header row", field="manifest")
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            # e.g. a field over the csv module's size limit (131,072 characters). line_num still
            # counts the lines of the last row read: the bad row starts on the next one.
            where = f"{name} line {reader.line_num + 1}"
            raise ValidationError(f"{where}: not valid CSV ({error})", field="manifest") from None
        where = f"{name} line {reader.line_num}"
        if None in row:
            raise ValidationError(f"{where}: more values than header columns", field="manifest")
        if not any((value or "").strip() for value in row.values()):
            continue
        yield where, _nest_csv_row(row)
