"""HealthScribe streaming: bidirectional HTTP/2 (on ``h2``) with SigV4 event signing.

Layers, bottom up (imports only go down):

* :mod:`.event_signing` — the request signed by botocore, then a signature chained through
  every event and the empty end frame (pure functions);
* :mod:`.endpoint`, :mod:`.tls`, :mod:`.proxy_tunnel`, :mod:`.errors` — where to connect, TLS with
  ALPN ``h2``, HTTP proxies (CONNECT), and the one place transport failures become the library's
  errors;
* :mod:`.h2_core` — one HTTP/2 stream, sans-I/O, flow control both ways; its drivers
  :mod:`.h2_sync` (a reader thread) and :mod:`.h2_async` (a reader task);
* :mod:`.config` (:class:`ScribeStreamConfig`), :mod:`.protocol` and :mod:`.replay` — the session
  sans-I/O: ConfigurationEvent first, audio, END_OF_SESSION; transcript events into one
  Transcript; the audio to send again when a dropped connection resumes;
* :mod:`.session_sync` / :mod:`.session_async` and the facades :mod:`.client` /
  :mod:`.client_async` (``client.scribe.streaming``), with :mod:`.describe` for
  GetMedicalScribeStream and :mod:`.model` (:class:`MedicalScribeStream`).

Modules load when used; importing this package imports neither ``h2`` nor ``botocore``.
"""

from __future__ import annotations
