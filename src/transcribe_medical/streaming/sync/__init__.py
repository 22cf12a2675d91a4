"""The threaded streaming driver: one engine for ``transcribe()`` and ``connect()``.

* :mod:`.connection` — :class:`~.connection.StreamConnection`, one WebSocket on
  ``websockets.sync`` moving bytes to and from the sans-I/O :class:`~..protocol.StreamSession`;
* :mod:`.stream` — :class:`~.stream.Transcription` (an audio source streamed for you) and
  :class:`~.stream.LiveSession` (audio you send yourself), both on one engine that keeps a
  stream alive across pauses and, unless its policy is off, reconnects and replays;
* :mod:`.client` — :class:`~.client.StreamingClient`, reached as ``TranscribeMedical(...).streaming``.

Threads, as ``websockets.sync`` itself uses them: websockets' own reader thread takes bytes off
the socket, the caller's thread turns them into events, a sender thread (``transcribe()``) or the
caller (``connect()``) sends audio, and a keep-alive thread stands in for a paused source. No
asyncio loop is involved.
"""

from __future__ import annotations

__all__: list[str] = []
