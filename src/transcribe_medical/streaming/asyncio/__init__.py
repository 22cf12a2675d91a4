"""The asyncio streaming driver: one engine for ``transcribe()`` and ``connect()``.

* :mod:`.connection` — :class:`~.connection.AsyncStreamConnection`, one WebSocket on
  ``websockets.asyncio`` moving bytes to and from the sans-I/O
  :class:`~transcribe_medical.streaming.protocol.StreamSession`;
* :mod:`.stream` — :class:`~.stream.AsyncTranscription` (an audio source streamed for you) and
  :class:`~.stream.AsyncLiveSession` (audio you send yourself), both on one engine that keeps a
  stream alive across pauses and, unless its policy is off, reconnects and replays
  (:mod:`transcribe_medical.streaming.reconnect`);
* :mod:`.client` — :class:`~.client.AsyncStreamingClient`, reached as
  ``AsyncTranscribeMedical(...).streaming``.

No thread: a sender task reads the source, one keep-alive task stands in for a paused source, and
the caller's ``async for`` receives and reconnects.
"""

from __future__ import annotations

__all__: list[str] = []
