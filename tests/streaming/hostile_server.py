"""A hostile Transcribe Medical streaming peer on 127.0.0.1, for the "a hostile peer cannot hurt the user" tests.

It is websockets' own sync server, with nothing from transcribe_medical inside (frames are written
by a few lines of struct/zlib below), and it accepts any presigned URL: it never checks a
signature. Each instance runs one *mode*:

``flood``
    After the upgrade, send TranscriptEvents as fast as the socket takes them, each holding one
    partial result with a new ``ResultId`` that never becomes final. ``flood_count`` bounds the
    number sent (then the server waits for the client's end of audio and closes normally with
    1000, so the stream ends without error and a test can inspect the client); ``None`` floods
    until the client leaves.
``silent``
    Accept the upgrade, read and discard whatever the client sends, never send anything (the
    WebSocket layer still answers pings, as a live but stuck server would).
``redirect``
    Answer every upgrade with ``302 Found`` and ``Location: <redirect_to>``. ``redirect_to``
    defaults to a second, well-behaved port on 127.0.0.1 that this instance also listens on (and
    counts connections to in :attr:`HostileServer.redirect_hits`): a client that follows the
    redirect is caught there. Pass ``redirect_to="ws://0.0.0.0:<port>/"`` for the other case.
``escape-exception``
    After the first audio frame, answer with an exception frame whose ``:exception-type`` and
    message carry terminal escape sequences (:data:`ESCAPE`), then close.
``escape-transcript``
    After the first audio frame, send one final result whose text carries :data:`ESCAPE`; after
    the client's end-of-stream, close normally.
``finals-then-drop``
    Send ``finals`` final results (one per audio frame received, texts ``"final 1"``,
    ``"final 2"``, ...), then drop the TCP connection without a close frame. Every later
    upgrade is refused with HTTP 403 (a refusal no client retries), so the stream fails for good
    whether the client reconnects or not, with the finals already received.
``finals-then-exception``
    Send ``finals`` final results, then a ``BadRequestException`` exception frame (a refusal no
    client retries) and close.
``stops-reading``
    A peer that pushes back: after the first audio frame it stops reading (its WebSocket layer
    too, so the client's sends fill the TCP buffers and block), waits until at least
    ``push_back_bytes`` sit unread in its socket, then sends ``finals`` final results, each after
    :attr:`HostileServer.next_event` is released (a test releases it once the client's send is
    stuck, then on receiving each result). Then it reads again, to the client's end of audio,
    and closes normally with 1000.
    :attr:`HostileServer.unread` holds the unread byte count seen before each result was sent.

In a test (``tests/`` is on ``sys.path``)::

    from streaming.hostile_server import HostileServer

    with HostileServer("silent") as server:
        client = TranscribeMedical(region_name="us-east-1", streaming_endpoint_url=server.url)
        ...
    # CLI: AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING=server.url transcribe-medical stream ...

From a shell (prints ``ws://127.0.0.1:<port>`` on the first line of stdout, serves until killed)::

    python tests/streaming/hostile_server.py flood
    python tests/streaming/hostile_server.py silent --port 8765
    python tests/streaming/hostile_server.py redirect --redirect-to ws://0.0.0.0:9/
    python tests/streaming/hostile_server.py finals-then-drop --finals 3

Every mode needs credentials the client can sign with (any ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``) and a Region; nothing is verified.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import socket
import struct
import sys
import termios
import threading
import time
import uuid
import zlib
from types import TracebackType
from typing import Any, Final, Self

from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

__all__ = ["ESCAPE", "MODES", "RECEIVE_BUFFER", "HostileServer", "encode_frame", "exception_frame", "transcript_frame"]

MODES: Final = (
    "flood",
    "silent",
    "redirect",
    "escape-exception",
    "escape-transcript",
    "finals-then-drop",
    "finals-then-exception",
    "stops-reading",
)

#: Terminal control sequences a hostile server puts in text it controls: clear the screen, move
#: the cursor home, set the window title (OSC), ring the bell, and a C1 CSI.
ESCAPE: Final = "\x1b[2J\x1b[H\x1b]0;pwned\x07\x9b31m"

#: ``stops-reading``: the receive buffer of the server's sockets (the kernel may double it).
RECEIVE_BUFFER: Final = 64 * 1024

#: The server's own logger, so tests looking at the client's log records can leave it out.
SERVER_LOGGER: Final = "tests.hostile_streaming"


def encode_frame(headers: dict[str, str], payload: bytes = b"") -> bytes:
    """An event-stream message with string headers (type 7)."""
    block = b"".join(
        bytes([len(name.encode())]) + name.encode() + b"\x07" + struct.pack(">H", len(value.encode())) + value.encode()
        for name, value in headers.items()
    )
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def transcript_frame(text: str, *, partial: bool, result_id: str | None = None, start: float = 0.0) -> bytes:
    """A TranscriptEvent frame holding one result of one word-per-item alternative."""
    words = text.split() or [text]
    step = 0.3
    items = [
        {
            "StartTime": round(start + i * step, 3),
            "EndTime": round(start + (i + 1) * step, 3),
            "Type": "pronunciation",
            "Content": word,
        }
        for i, word in enumerate(words)
    ]
    end = round(start + len(words) * step, 3)
    result = {
        "ResultId": result_id or str(uuid.uuid4()),
        "StartTime": start,
        "EndTime": end,
        "IsPartial": partial,
        "Alternatives": [{"Transcript": text, "Items": items}],
    }
    payload = json.dumps({"Transcript": {"Results": [result]}}).encode()
    return encode_frame(
        {":message-type": "event", ":event-type": "TranscriptEvent", ":content-type": "application/json"}, payload
    )


def exception_frame(exception_type: str, message: str) -> bytes:
    """An exception frame, as the service sends when it refuses a stream."""
    return encode_frame(
        {":message-type": "exception", ":exception-type": exception_type, ":content-type": "application/json"},
        json.dumps({"Message": message}).encode(),
    )


class HostileServer:
    """A hostile streaming peer in one of :data:`MODES`; a context manager.

    Args:
        mode: One of :data:`MODES`.
        port: The port to listen on (0: any free port).
        flood_count: ``flood``: how many partials to send before closing normally (None: no end).
        redirect_to: ``redirect``: the ``Location`` (default: this instance's second port).
        finals: ``finals-then-*``: how many final results to send before failing;
            ``stops-reading``: how many to send while not reading.
        push_back_bytes: ``stops-reading``: unread bytes to wait for before sending results.

    Attributes:
        connections: Upgrades seen on the main port (every mode, refused ones included).
        redirect_hits: Upgrades seen on the redirect target port (``redirect`` mode).
        sent: TranscriptEvents sent, over all connections.
        next_event: ``stops-reading``: released once per result to send.
        unread: ``stops-reading``: bytes unread in the server's socket as each result was sent.
    """

    def __init__(
        self,
        mode: str,
        *,
        port: int = 0,
        flood_count: int | None = None,
        redirect_to: str | None = None,
        finals: int = 3,
        push_back_bytes: int = 16 * 1024,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
        self.mode = mode
        self.flood_count = flood_count
        self.finals = finals
        self.push_back_bytes = push_back_bytes
        self.next_event = threading.Semaphore(0)
        self.unread: list[int] = []
        self.connections = 0
        self.redirect_hits = 0
        self.sent = 0
        self._port = port
        self._redirect_to = redirect_to
        self._servers: list[Server] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The main port."""
        return int(self._servers[0].socket.getsockname()[1])

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:<port>``: the streaming endpoint to give the client."""
        return f"ws://127.0.0.1:{self.port}"

    @property
    def redirect_url(self) -> str:
        """Where ``redirect`` points the client."""
        if self._redirect_to is not None:
            return self._redirect_to
        target = int(self._servers[1].socket.getsockname()[1])
        return f"ws://127.0.0.1:{target}/medical-stream-transcription-websocket"

    def start(self) -> Self:
        """Listen and serve in daemon threads."""
        self._listen(self._port, self._handle, self._process_request)
        if self.mode == "redirect" and self._redirect_to is None:
            self._listen(0, self._drain, self._count_redirect_hit)
        return self

    def stop(self) -> None:
        """Stop listening and wait for the server threads."""
        for server in self._servers:
            server.shutdown()
        for thread in self._threads:
            thread.join()

    def _listen(self, port: int, handler: Any, process_request: Any) -> None:
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.mode == "stops-reading":
            # A fixed receive buffer (no autotuning): what the peer can hold unread is bounded
            # and small, so a test knows how much audio no send can hand over while it stops.
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        listening.bind(("127.0.0.1", port))
        listening.listen()
        server = serve(
            handler,
            sock=listening,
            process_request=process_request,
            compression=None,
            max_size=2**20,
            # Never pause reading: a handler that stopped reading (after its exception frame)
            # would otherwise leave the client's close frame unread, and close() would wait its
            # whole close_timeout (10 s) for it. Except for the peer that pushes back: its
            # WebSocket layer stops reading the socket once a few messages wait unread.
            max_queue=(4, 1) if self.mode == "stops-reading" else None,
            logger=logging.getLogger(SERVER_LOGGER),
        )
        thread = threading.Thread(target=server.serve_forever, name=f"hostile-{self.mode}", daemon=True)
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        with self._lock:
            self.connections += 1
            first = self.connections == 1
        if self.mode == "redirect":
            response = connection.respond(302, "moved\n")
            response.headers["Location"] = self.redirect_url
            return response
        if self.mode == "finals-then-drop" and not first:
            return connection.respond(403, "<AccessDeniedException/>")
        return None

    def _count_redirect_hit(self, connection: ServerConnection, request: Request) -> Response | None:
        with self._lock:
            self.redirect_hits += 1
        return None

    def _send(self, websocket: ServerConnection, frame: bytes) -> None:
        websocket.send(frame)
        with self._lock:
            self.sent += 1

    @staticmethod
    def _drain(websocket: ServerConnection) -> None:
        try:
            for _ in websocket:
                pass
        except Exception:  # the client went away: nothing to report
            return

    def _handle(self, websocket: ServerConnection) -> None:
        try:
            if self.mode == "flood":
                self._flood(websocket)
            elif self.mode == "silent":
                self._drain(websocket)
            elif self.mode == "stops-reading":
                self._stop_reading(websocket)
            else:
                self._scripted(websocket)
        except Exception as error:  # the client left: a hostile server does not care
            logging.getLogger(SERVER_LOGGER).debug("connection ended: %s", type(error).__name__)

    def _flood(self, websocket: ServerConnection) -> None:
        ended = threading.Event()

        def read() -> None:
            try:
                for message in websocket:
                    if isinstance(message, bytes) and _is_end_of_stream(message):
                        ended.set()
            except Exception:  # the client went away
                pass
            ended.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        sent = 0
        while self.flood_count is None or sent < self.flood_count:
            # A new id each time, and a new text, so nothing can be deduplicated.
            self._send(websocket, transcript_frame(f"partial number {sent}", partial=True, start=sent * 0.01))
            sent += 1
        ended.wait()
        websocket.close(1000)
        reader.join()

    def _stop_reading(self, websocket: ServerConnection) -> None:
        websocket.recv()  # the first audio frame; then nothing is read until the results are sent
        deadline = time.monotonic() + 30
        # The kernel's count is the only sign that the client has filled the path; it cannot be
        # waited on, so it is looked at every few milliseconds (bounded, for a broken client).
        while _unread(websocket.socket) < self.push_back_bytes and time.monotonic() < deadline:
            time.sleep(0.005)
        for index in range(self.finals):
            if not self.next_event.acquire(timeout=30):
                break
            self.unread.append(_unread(websocket.socket))
            self._send(websocket, transcript_frame(f"final {index + 1}", partial=False, start=float(index)))
        for message in websocket:  # read again, to the end of the audio
            if isinstance(message, bytes) and _is_end_of_stream(message):
                break
        websocket.close(1000)

    def _scripted(self, websocket: ServerConnection) -> None:
        audio_frames = 0
        for message in websocket:
            if not isinstance(message, bytes):
                continue
            if _is_end_of_stream(message):
                websocket.close(1000)
                return
            audio_frames += 1
            if self.mode == "escape-exception":
                websocket.send(exception_frame(f"BadRequestException{ESCAPE}", f"refused{ESCAPE}here"))
                websocket.close(1000)
                return
            if self.mode == "escape-transcript":
                if audio_frames == 1:
                    self._send(websocket, transcript_frame(f"hello{ESCAPE}world", partial=False))
                continue
            # finals-then-drop / finals-then-exception
            if audio_frames <= self.finals:
                start = (audio_frames - 1) * 1.0
                self._send(websocket, transcript_frame(f"final {audio_frames}", partial=False, start=start))
            if audio_frames == self.finals:
                if self.mode == "finals-then-exception":
                    websocket.send(exception_frame("BadRequestException", "the stream was refused"))
                    websocket.close(1000)
                else:
                    # No close frame: the server's side of the TCP connection just ends. A FIN,
                    # not a reset: a reset with the client's audio still unread would let the
                    # client's kernel discard finals it had not read yet, and the test could not
                    # know how many arrived. Whatever the client sends next is ignored.
                    websocket.socket.shutdown(socket.SHUT_WR)
                    for _ in websocket:
                        pass
                    websocket.socket.close()
                return


def _unread(sock: socket.socket) -> int:
    """Bytes received by the kernel on ``sock`` and not read yet."""
    return int(struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0])


def _is_end_of_stream(message: bytes) -> bool:
    """True for the empty AudioEvent (a frame whose payload is empty)."""
    if len(message) < 16:
        return False
    total, headers_length = struct.unpack(">II", message[:8])
    return total == len(message) and total - headers_length - 16 == 0


def main(argv: list[str] | None = None) -> int:
    """Serve one mode until interrupted; print the URL first."""
    parser = argparse.ArgumentParser(description="A hostile Transcribe Medical streaming peer on 127.0.0.1.")
    parser.add_argument("mode", choices=MODES)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--flood-count", type=int, default=None)
    parser.add_argument("--redirect-to", default=None)
    parser.add_argument("--finals", type=int, default=3)
    args = parser.parse_args(argv)
    server = HostileServer(
        args.mode, port=args.port, flood_count=args.flood_count, redirect_to=args.redirect_to, finals=args.finals
    ).start()
    print(server.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
