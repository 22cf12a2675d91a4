"""TLS for HealthScribe streaming: ALPN ``h2``, ``verify=`` and ``AWS_CA_BUNDLE`` as in boto3."""

from __future__ import annotations

import os
import ssl

from transcribe_medical._exceptions import ConnectionError, ValidationError
from transcribe_medical._tls_socket import for_threads
from transcribe_medical.scribe.streaming.endpoint import ScribeEndpoint

__all__ = ["check_alpn", "tls_context"]


def tls_context(endpoint: ScribeEndpoint, verify: bool | str | None) -> ssl.SSLContext | None:
    """The TLS context for ``endpoint`` (``None`` for loopback cleartext), offering only ``h2``.

    Args:
        endpoint: Where to connect.
        verify: ``False`` skips certificate checks; a path is a CA bundle; ``True``/``None`` use
            ``AWS_CA_BUNDLE`` when set, else the default trust store.

    Raises:
        ValidationError: The CA bundle cannot be read.
    """
    if not endpoint.tls:
        return None
    cafile = verify if isinstance(verify, str) else os.environ.get("AWS_CA_BUNDLE") or None
    try:
        # The sync HTTP/2 stream reads on its reader thread while senders write: the context's
        # sockets serialise the two (see _tls_socket); asyncio's TLS does not use them.
        context = for_threads(ssl.create_default_context(cafile=None if verify is False else cafile))
    except OSError as error:
        raise ValidationError(
            f"verify: cannot read the CA bundle {cafile!r}: {error.strerror}", field="verify"
        ) from None
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # HTTP/2 requires TLS 1.2 or later (RFC 9113 9.2)
    context.set_alpn_protocols(["h2"])
    return context


def check_alpn(selected: str | None, endpoint: ScribeEndpoint) -> None:
    """Refuse a TLS peer that did not agree to HTTP/2.

    Raises:
        ConnectionError: ALPN did not select ``h2``.
    """
    if selected != "h2":
        raise ConnectionError(
            f"{endpoint} did not agree to HTTP/2 over TLS (ALPN gave {selected!r}); check the streaming endpoint URL"
        )
