"""The library logger and the redaction filter that keeps secrets and PHI out of every record.

The library logs to ``logging.getLogger("transcribe_medical")`` and its children and never
configures handlers itself. :class:`RedactionFilter` is installed on the library logger and on
every handler the CLI installs, so records from botocore or websockets are scrubbed as well.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from typing import Final
from urllib.parse import quote

__all__ = ["LOGGER_NAME", "RedactionFilter", "get_logger", "redact", "remember_secret"]

LOGGER_NAME: Final = "transcribe_medical"

_REDACTED = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Presigned URLs: drop the whole query string.
    (re.compile(r"(wss?://[^\s?\"']+)\?[^\s\"']*"), rf"\1?{_REDACTED}"),
    (re.compile(r"(https?://[^\s?\"']+)\?[^\s\"']*X-Amz-[^\s\"']*"), rf"\1?{_REDACTED}"),
    # Passwords in URLs (proxy URLs such as http://user:password@proxy:3128).
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@\"']+:[^/\s@\"']*@", re.I), rf"\1{_REDACTED}@"),
    # SigV4 pieces wherever they appear: query parameters, headers, dict reprs.
    (
        re.compile(r"(X-Amz-(?:Signature|Credential|Security-Token)['\"]?\s*[:=]\s*['\"]?)[^&\s\"',}]+", re.I),
        rf"\1{_REDACTED}",
    ),
    (re.compile(r"(Signature=)[0-9a-f]{16,}", re.I), rf"\1{_REDACTED}"),
    (re.compile(r"(Credential=)[^,\s\"']+", re.I), rf"\1{_REDACTED}"),
    # A credential scope on its own (key id/date/region/service/aws4_request, maybe URL-encoded).
    (
        re.compile(
            r"[A-Za-z0-9]{16,128}(?:/|%2F)\d{8}(?:/|%2F)[a-z0-9-]+(?:/|%2F)[a-z0-9-]+(?:/|%2F)aws4_request", re.I
        ),
        _REDACTED,
    ),
    (
        re.compile(
            r"((?:aws_)?(?:secret_?access_?key|session_?token|security_?token|secret_?key|token)['\"]?\s*[:=]\s*['\"]?)"
            r"[^'\"\s,}]+",
            re.I,
        ),
        rf"\1{_REDACTED}",
    ),
    # Access key ids (AKIA/ASIA...).
    (re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{12,}\b"), _REDACTED),
    # Transcript JSON fields (streaming and batch shapes).
    (
        re.compile(r"(\"(?:Transcript|Content|transcript|content|text)\"\s*:\s*\")(?:[^\"\\]|\\.)*\"", re.S),
        rf'\1{_REDACTED}"',
    ),
)


#: Secrets seen by this process (the credentials resolved for signing), most recent last. Patterns
#: find secrets by their surroundings (``token=...``); these are found by value, wherever and
#: however they are quoted (an exception message, a repr, a URL-encoded query).
_KNOWN_SECRETS: OrderedDict[str, None] = OrderedDict()
_KNOWN_SECRETS_MAX: Final = 32
_KNOWN_SECRET_MIN_LENGTH: Final = 8
_known_lock = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Have :func:`redact` remove ``value`` (and its URL-encoded form) from every text from now on.

    The facades call this with the secret key and session token of the credentials they resolve.
    Values shorter than 8 characters are ignored (they would mangle ordinary text); the last 32
    values are kept.
    """
    if not value or len(value) < _KNOWN_SECRET_MIN_LENGTH:
        return
    with _known_lock:
        _KNOWN_SECRETS.pop(value, None)
        _KNOWN_SECRETS[value] = None
        while len(_KNOWN_SECRETS) > _KNOWN_SECRETS_MAX:
            _KNOWN_SECRETS.popitem(last=False)


def redact(text: str) -> str:
    """Remove credentials, signatures, presigned query strings and transcript text from ``text``."""
    with _known_lock:
        known = list(_KNOWN_SECRETS)
    for secret in known:
        if secret in text:
            text = text.replace(secret, _REDACTED)
        encoded = quote(secret, safe="")
        if encoded != secret and encoded in text:
            text = text.replace(encoded, _REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactionFilter(logging.Filter):
    """A logging filter that rewrites each record's message through :func:`redact`.

    Arguments are formatted first, so a secret passed as a ``%s`` argument is caught too; bytes
    arguments (audio, frames) are replaced by their length.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; never drops a record."""
        try:
            if record.args:
                args = record.args if isinstance(record.args, tuple) else (record.args,)
                safe = tuple(f"<{len(a)} bytes>" if isinstance(a, bytes | bytearray | memoryview) else a for a in args)
                message = str(record.msg) % safe if isinstance(record.args, tuple) else str(record.msg) % safe[0]
            else:
                message = str(record.msg)
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, so handlers never see the raw exception text.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def get_logger(name: str | None = None) -> logging.Logger:
    """The library logger, or one of its children (``transcribe_medical.<name>``).

    Logger filters are not inherited, so each logger handed out carries its own redaction filter.
    """
    logger = logging.getLogger(LOGGER_NAME if not name else f"{LOGGER_NAME}.{name}")
    if not any(isinstance(f, RedactionFilter) for f in logger.filters):
        logger.addFilter(RedactionFilter())
    return logger


get_logger().addHandler(logging.NullHandler())
