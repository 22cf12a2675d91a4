"""One HTTP/2 request stream on ``h2``, sans-I/O: what both drivers share.

The core owns the ``h2`` state machine for a connection carrying exactly one stream (the
HealthScribe session). Drivers feed it the bytes they read (:meth:`H2Core.receive`), write what
it has to send (:meth:`H2Core.outgoing`), and hand it request body bytes only as far as the
peer's flow-control window allows (:meth:`H2Core.write`). Received DATA is acknowledged as soon
as it has been decoded, so the peer's window refills while the caller reads events.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Mapping

from h2.exceptions import H2Error

from transcribe_medical import __version__, _limits
from transcribe_medical._exceptions import ConnectionError, ProtocolError, TranscribeMedicalError
from transcribe_medical.eventstream import EventStreamDecoder, Message
from transcribe_medical.scribe.streaming.endpoint import SCRIBE_STREAM_PATH, ScribeEndpoint
from transcribe_medical.scribe.streaming.errors import response_error

__all__ = ["H2Core"]


_MAX_ERROR_BODY = 64 * 1024


class H2Core:
    """The client side of one HTTP/2 stream: request headers out, event-stream messages in.

    Attributes:
        status: The response's ``:status`` once received.
        response_headers: The response headers (lower-case names) once received.
        messages: Decoded event-stream messages not yet taken by the driver.
        error: Set when the stream failed (refused, reset, connection lost); sticky.
        finished: The peer ended its side of the stream (or the connection).
    """

    def __init__(
        self,
        endpoint: ScribeEndpoint,
        headers: Mapping[str, str],
        *,
        method: str = "POST",
        path: str = SCRIBE_STREAM_PATH,
        event_stream: bool = True,
    ) -> None:
        """Prepare the connection preface and the request's HEADERS frame.

        Args:
            endpoint: Where the connection goes.
            headers: The signed request headers.
            method: ``POST`` for the event stream; ``GET`` for GetMedicalScribeStream.
            path: The request path.
            event_stream: Decode the response body as event-stream messages; otherwise keep it
                whole in :attr:`body` (capped at 1 MiB).
        """
        import h2.config
        import h2.connection

        self._endpoint = endpoint
        self._conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self._conn.initiate_connection()
        self.stream_id: int = self._conn.get_next_available_stream_id()
        request = [
            (":method", method),
            (":scheme", endpoint.scheme),
            (":authority", endpoint.authority),
            (":path", path),
            ("user-agent", f"transcribe-medical/{__version__}"),
        ]
        request += [(name.lower(), value) for name, value in headers.items() if name.lower() != "host"]
        self._conn.send_headers(self.stream_id, request, end_stream=not event_stream)
        self.request_ended = not event_stream
        self._event_stream = event_stream
        self.body = bytearray()
        self._decoder = EventStreamDecoder(max_message_size=_limits.EVENTSTREAM_MAX_MESSAGE_SIZE)
        self._error_body = bytearray()
        self.status: int | None = None
        self.response_headers: dict[str, str] = {}
        self.messages: deque[Message] = deque()
        self.error: TranscribeMedicalError | None = None
        self.finished = False

    def outgoing(self) -> bytes:
        """The bytes the driver must write now (may be empty)."""
        return bytes(self._conn.data_to_send())

    def send_window(self) -> int:
        """How many body bytes may be written now: the stream's send window, capped at one frame."""
        if self.error is not None or (self.finished and self.status != 200):
            return 0
        try:
            window = self._conn.local_flow_control_window(self.stream_id)
        except H2Error:  # the stream is closed: nothing may be sent
            return 0
        return max(0, min(window, self._conn.max_outbound_frame_size))

    def send_ready(self) -> bool:
        """Whether a sender waiting for window should wake: window opened, or sending is over."""
        return self.error is not None or self.finished or self.send_window() > 0

    def check_sendable(self) -> None:
        """Raise when nothing more can be sent: the recorded failure, or the peer's end.

        Raises:
            TranscribeMedicalError: The stream failed, or the peer ended it (ConnectionError).
        """
        if self.error is not None:
            raise self.error
        if self.finished:
            raise ConnectionError(f"{self._endpoint} ended the stream before everything was sent")

    def write(self, data: memoryview) -> int:
        """Queue as much of ``data`` as the window allows; return how many bytes were taken."""
        size = min(len(data), self.send_window())
        if size:
            self._conn.send_data(self.stream_id, bytes(data[:size]))
        return size

    def end_request(self) -> None:
        """End the request body (END_STREAM), once."""
        if not self.request_ended and self.error is None:
            self.request_ended = True
            # The peer may have closed the stream already: then there is nothing to end.
            with contextlib.suppress(H2Error):
                self._conn.end_stream(self.stream_id)

    def close(self) -> None:
        """Queue a GOAWAY (the driver writes :meth:`outgoing` and closes the socket).

        A stream still open is failed, so that a sender waiting for window wakes.
        """
        if not self.finished:
            self.fail(ConnectionError(f"the connection to {self._endpoint} was closed"))
        with contextlib.suppress(H2Error):  # closing a broken connection is not an error
            self._conn.close_connection()

    def fail(self, error: TranscribeMedicalError) -> None:
        """Record the first failure (later ones are consequences of it)."""
        if self.error is None:
            self.error = error
        self.finished = True

    def connection_lost(self) -> None:
        """The socket reached EOF: unless the stream finished cleanly, that is a failure."""
        if not self.finished:
            self.fail(ConnectionError(f"the connection to {self._endpoint} closed before the stream ended"))
        self.finished = True

    def receive(self, data: bytes) -> None:
        """Feed bytes read from the socket; updates the state and :attr:`messages`.

        Raises:
            ProtocolError: The peer broke HTTP/2 or sent a malformed event-stream message (also
                recorded in :attr:`error`).
        """
        import h2.events
        import h2.exceptions

        try:
            events = self._conn.receive_data(data)
        except h2.exceptions.H2Error as error:
            failure = ProtocolError(f"{self._endpoint} broke HTTP/2: {type(error).__name__}")
            self.fail(failure)
            raise failure from None
        for event in events:
            if isinstance(event, h2.events.ResponseReceived):
                self.response_headers = {str(k).lower(): str(v) for k, v in event.headers or ()}
                self.status = int(self.response_headers.get(":status", "0"))
            elif isinstance(event, h2.events.DataReceived):
                self._data(event.data or b"", event.flow_controlled_length or 0)
            elif isinstance(event, h2.events.StreamEnded):
                self._ended()
            elif isinstance(event, h2.events.StreamReset):
                self.fail(ConnectionError(f"{self._endpoint} reset the stream (HTTP/2 error {event.error_code})"))
            elif isinstance(event, h2.events.ConnectionTerminated) and not self.finished:
                self.fail(ConnectionError(f"{self._endpoint} closed the connection (HTTP/2 GOAWAY {event.error_code})"))

    def _data(self, data: bytes, flow_length: int) -> None:
        # Acknowledge at once: the messages are buffered in this process and bounded by the
        # decoder's size cap, so holding the window back would only stall the peer.
        if flow_length:
            self._conn.acknowledge_received_data(flow_length, self.stream_id)
        if not self._event_stream and self.status == 200:
            if len(self.body) + len(data) > _limits.EVENTSTREAM_MAX_MESSAGE_SIZE:
                self.fail(ProtocolError(f"{self._endpoint} sent a response over 1 MiB"))
                return
            self.body += data
            return
        if self.status != 200:
            room = _MAX_ERROR_BODY - len(self._error_body)
            self._error_body += data[: max(0, room)]
            return
        try:
            self.messages.extend(self._decoder.feed(data))
        except TranscribeMedicalError as error:
            self.fail(error)
            raise

    def _ended(self) -> None:
        if self.status is not None and self.status != 200:
            self.fail(response_error(self.status, self.response_headers, bytes(self._error_body)))
        self.finished = True
