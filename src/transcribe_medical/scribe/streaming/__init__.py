"""HealthScribe streaming: bidirectional HTTP/2 (on ``h2``) with SigV4 event signing.

``event_signing`` signs the request and chains a signature through every event;
``http2`` carries one stream over TLS (ALPN ``h2``) or, toward loopback only, cleartext HTTP/2.
"""

from __future__ import annotations
