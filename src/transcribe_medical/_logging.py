"""The library logger and the redaction filter that keeps secrets and PHI out of every record.

The library logs to ``logging.getLogger("transcribe_medical")`` and its children and never
configures handlers itself. :class:`RedactionFilter` is installed on the library logger and on
every handler the CLI installs, so records from botocore or websockets are scrubbed as well.
"""

from __future__ import annotations

import logging
import re
from typing import Final

__all__ = ["LOGGER_NAME", "RedactionFilter", "get_logger", "redact"]

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
        re.compile(r"[A-Za-z0-9]{16,128}(?:/|%2F)\d{8}(?:/|%2F)[a-z0-9-]+(?:/|%2F)[a-z0-9-]+(?:/|%2F)aws4_request",
                   re.I),
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


def redact(text: str) -> str:
    """Remove credentials, signatures, presigned query strings and transcript text from ``text``."""
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
                safe = tuple(f"<{len(a)} bytes>" if isinstance(a, bytes | bytearray | memoryview) else a
                             for a in args)
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
