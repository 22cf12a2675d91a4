"""The sans-I/O core of a streaming session: audio in → frames out, frames in → events out.

:class:`StreamSession` holds all the state of one medical streaming session and never touches a
socket (the design of ``websockets``' and ``h11``'s protocol objects). The sync and asyncio
transports move bytes; this class decides what the bytes mean:

* :meth:`StreamSession.send_audio` cuts audio into AudioEvent frames of at most 32 KiB of payload;
* :meth:`StreamSession.end` gives the empty AudioEvent that tells the service the audio is over;
* :meth:`StreamSession.receive_frame` decodes what the service sent into
  :class:`~transcribe_medical.TranscriptEvent`\\ s, raises the matching
  :class:`~transcribe_medical.ServiceError` for an exception frame, and assembles the final results
  into a :class:`~transcribe_medical.Transcript`;
* :meth:`StreamSession.connection_closed` says whether the socket closing was the normal end.

Example:
    >>> session = StreamSession(StreamConfig(media_encoding="pcm", sample_rate=16000))
    >>> frames = session.send_audio(b"\\x00\\x00" * 1600)   # 100 ms of silence
    >>> len(frames), session.state.value
    (1, 'streaming')
    >>> _ = session.end()
    >>> session.state.value
    'ending'
"""

from __future__ import annotations

import json
import re
from enum import Enum
from typing import Final

from transcribe_medical import _limits
from transcribe_medical._exceptions import (
    ConnectionError,
    ProtocolError,
    TranscribeMedicalError,
    service_error_from_code,
)
from transcribe_medical._logging import get_logger
from transcribe_medical.eventstream import EventStreamDecoder, Message, encode_audio_event
from transcribe_medical.models.events import Result, TranscriptEvent
from transcribe_medical.models.stream import StreamConfig
from transcribe_medical.models.transcript import Transcript, TranscriptAssembler

__all__ = ["StreamSession", "StreamState"]

_log = get_logger("streaming.protocol")

#: What an event or message type that may be logged looks like.
_IDENTIFIER: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
#: WebSocket close codes that end a stream normally (1000 normal, 1005 "no status").
_NORMAL_CLOSE_CODES: Final = frozenset({1000, 1005})


class StreamState(str, Enum):
    """Where a session is in its life.

    ``STREAMING`` → (``end()``) → ``ENDING`` → (the service closes) → ``DONE``; any failure moves
    to ``FAILED``.
    """

    STREAMING = "streaming"
    ENDING = "ending"
    DONE = "done"
    FAILED = "failed"


class StreamSession:
    """The state machine of one streaming session, without I/O.

    Args:
        config: The stream's parameters; a session id is generated if it has none, so
            :attr:`session_id` is always known.
        max_message_size: The largest event-stream message accepted from the service.
        max_payload: The largest AudioEvent payload to send (at most 32,768 bytes).
        assemble: Assemble the final results into :attr:`transcript`. A driver that spans
            sessions (:class:`~.reconnect.ResilientSession`) holds the one transcript of the
            stream and passes ``False``, so that it is not held twice (:attr:`partials` are kept
            either way).

    Attributes:
        config: The config, with its session id.
        state: The current :class:`StreamState`.
        audio_bytes_sent: Audio bytes turned into frames so far.
        frames_sent: AudioEvent frames produced so far (the end-of-stream frame included).
        events_received: TranscriptEvents decoded so far.
    """

    def __init__(
        self,
        config: StreamConfig,
        *,
        max_message_size: int = _limits.EVENTSTREAM_MAX_MESSAGE_SIZE,
        max_payload: int = _limits.AUDIO_EVENT_MAX_PAYLOAD,
        assemble: bool = True,
    ) -> None:
        if not 1 <= max_payload <= _limits.AUDIO_EVENT_MAX_PAYLOAD:
            raise ValueError(f"max_payload must be 1-{_limits.AUDIO_EVENT_MAX_PAYLOAD}, got {max_payload}")
        self.config = config.with_session_id()
        self.state = StreamState.STREAMING
        self.audio_bytes_sent = 0
        self.frames_sent = 0
        self.events_received = 0
        self._max_payload = max_payload
        self._decoder = EventStreamDecoder(max_message_size=max_message_size)
        self._assembler = TranscriptAssembler(session_id=self.config.session_id, keep_finals=assemble)
        self._error: TranscribeMedicalError | None = None

    def __repr__(self) -> str:
        return (
            f"StreamSession(session_id={self.session_id!r}, state={self.state.value}, "
            f"audio_bytes_sent={self.audio_bytes_sent}, events_received={self.events_received})"
        )

    @property
    def session_id(self) -> str:
        """The session id sent to the service (given or generated)."""
        assert self.config.session_id is not None  # with_session_id() guarantees it
        return self.config.session_id

    @property
    def error(self) -> TranscribeMedicalError | None:
        """The error that failed the session, if it failed."""
        return self._error

    @property
    def transcript(self) -> Transcript:
        """The transcript of the final results received so far (partials never appear in it).

        Empty when the session does not assemble (``assemble=False``): the driver holds it.
        """
        return self._assembler.transcript()

    @property
    def partials(self) -> list[Result]:
        """The latest version of each result still in progress."""
        return self._assembler.partials

    # -- client → service ----------------------------------------------------------------------

    def send_audio(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Turn audio into AudioEvent frames to send, in order.

        Args:
            data: Audio bytes in the configured encoding (any length; cut at 32 KiB). Empty data
                gives no frame: an empty AudioEvent would end the stream.

        Returns:
            The frames to send, each one WebSocket binary message.

        Raises:
            TranscribeMedicalError: The stream was already ended; or, when it has failed, the error
                that failed it.
        """
        self._check_can_send("send_audio()")
        size = self._max_payload
        if type(data) is bytes and 0 < len(data) <= size:
            # The usual chunk (50-200 ms, already bytes): framed as it is, no copy, no slicing.
            self.audio_bytes_sent += len(data)
            self.frames_sent += 1
            return [encode_audio_event(data)]
        view = memoryview(data).cast("B")
        frames = [encode_audio_event(view[i : i + size]) for i in range(0, len(view), size)]
        self.audio_bytes_sent += len(view)
        self.frames_sent += len(frames)
        return frames

    def end(self) -> bytes:
        """End the audio: the empty AudioEvent frame to send.

        The service then sends its last results and closes the connection.

        Returns:
            The end-of-stream frame.

        Raises:
            TranscribeMedicalError: The stream was already ended or has failed.
        """
        self._check_can_send("end()")
        self.state = StreamState.ENDING
        self.frames_sent += 1
        return encode_audio_event(b"")

    def _check_can_send(self, what: str) -> None:
        if self.state is StreamState.FAILED and self._error is not None:
            raise self._error  # the reason the stream failed, not a complaint about the call
        if self.state is not StreamState.STREAMING:
            raise TranscribeMedicalError(f"{what} called on a stream that is {self.state.value}")

    # -- service → client ----------------------------------------------------------------------

    def receive_frame(self, data: bytes | bytearray | memoryview) -> list[TranscriptEvent]:
        """Take bytes received from the service (normally one WebSocket message = one frame).

        Args:
            data: The bytes; a message split across calls is reassembled.

        Returns:
            The TranscriptEvents decoded, in order (their final results are already assembled
            into :attr:`transcript`).

        Raises:
            ServiceError: The service sent an exception (the matching subclass, e.g.
                :class:`~transcribe_medical.BadRequestError`); the session is then failed.
            CredentialsError: The exception says the credentials were refused.
            ProtocolError: The bytes are not a valid event stream, a message has no type, or a
                TranscriptEvent payload is not of the TranscriptEvent shape. Event and message types
                added after this version are skipped (logged at DEBUG, without their content).
        """
        if self.state is StreamState.FAILED:
            raise self._error or ProtocolError("data received on a failed stream")
        try:
            messages = self._decoder.feed(bytes(data))
            events: list[TranscriptEvent] = []
            for message in messages:
                event = self._handle(message)
                if event is not None:
                    events.append(event)
            return events
        except TranscribeMedicalError as error:
            self.fail(error)
            raise

    def _handle(self, message: Message) -> TranscriptEvent | None:
        message_type = message.headers.get(":message-type")
        if message_type == "event":
            event_type = message.headers.get(":event-type")
            if event_type != "TranscriptEvent":
                # Forward compatibility (DESIGN.md): an event type added later is skipped, not an
                # error. The line names the type only when it looks like one, never the payload.
                _log.debug(
                    "skipping a %s event (%d bytes): not a type this version reads",
                    _loggable_name(event_type),
                    len(message.payload),
                )
                return None
            event = TranscriptEvent.from_payload(message.payload)
            self.events_received += 1
            self._assembler.add(event)
            return event
        if message_type == "exception":
            code = _header_text(message, ":exception-type") or "UnknownException"
            raise service_error_from_code(code, _exception_message(message.payload))
        if message_type == "error":
            code = _header_text(message, ":error-code") or "UnknownError"
            raise service_error_from_code(code, _header_text(message, ":error-message") or "")
        if isinstance(message_type, str):
            # A message type added later, in a well-formed frame, does not end the session either.
            _log.debug("skipping a %s message: not a type this version reads", _loggable_name(message_type))
            return None
        raise ProtocolError("event-stream message without a :message-type header")

    def connection_closed(self, code: int | None = None) -> None:
        """Record that the connection closed, and judge whether that was the normal end.

        Args:
            code: The WebSocket close code received, if any (``None``: closed without a close
                frame).

        Raises:
            ConnectionError: The connection closed before the service finished the stream (the
                transcript so far is attached as ``.transcript``).
            ProtocolError: The connection closed in the middle of an event-stream message.
            ServiceError: The session had already failed with this error.
        """
        if self.state is StreamState.DONE:
            return
        if self.state is StreamState.FAILED:
            assert self._error is not None
            raise self._error
        try:
            self._decoder.close()
        except ProtocolError as error:
            self.fail(error)
            raise
        if self.state is StreamState.ENDING and code in _NORMAL_CLOSE_CODES:
            self.state = StreamState.DONE
            return
        if self.state is StreamState.STREAMING and code in _NORMAL_CLOSE_CODES:
            reason = "the service closed the stream before the end of the audio"
        else:
            reason = f"the connection was lost (close code {code})" if code else "the connection was lost"
        lost = ConnectionError(reason, transcript=self.transcript)
        self.fail(lost)
        raise lost

    def fail(self, error: TranscribeMedicalError) -> None:
        """Mark the session failed with ``error`` (the first failure is kept)."""
        if self.state is not StreamState.FAILED:
            self.state = StreamState.FAILED
            self._error = error


def _loggable_name(value: object) -> str:
    """``value`` if it is a plain identifier such as ``TranscriptEvent``, else a placeholder.

    Header values come from the peer: only a short identifier is written to the log, so no text
    (nor a terminal escape) can reach it through a header.
    """
    if isinstance(value, str) and _IDENTIFIER.fullmatch(value):
        return value
    return "<unnamed>" if value is None else "<not an identifier>"


def _header_text(message: Message, name: str) -> str | None:
    value = message.headers.get(name)
    return value if isinstance(value, str) else None


def _exception_message(payload: bytes) -> str:
    # {"Message": "..."} per the model; some services use "message". Free text, never matched on.
    try:
        body = json.loads(payload) if payload else {}
    except (ValueError, RecursionError):  # RecursionError: a payload nested thousands deep
        return payload[:200].decode("utf-8", "replace")
    if isinstance(body, dict):
        text = body.get("Message", body.get("message", ""))
        return str(text) if text is not None else ""
    return ""
