"""The emulator keeps up: results flow while audio is queued, and a fast sender is pushed back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from local.emulator_support import CHUNK, SCRIPT, audio, presigned, receive_all, results_of, server, stream
from transcribe_medical.eventstream import EventStreamDecoder
from transcribe_medical.local import ScriptedRecognizer
from transcribe_medical.local.recognizers.interface import RecognizedWord


class _GatedSession:
    """A scripted session whose recognition waits for a gate (a recognizer slower than the sender)."""

    def __init__(self, inner: Any, gate: threading.Event, entered: threading.Event) -> None:
        self._inner = inner
        self._gate = gate
        self._entered = entered

    def accept_audio(self, pcm16_mono: bytes) -> None:
        self._entered.set()
        assert self._gate.wait(60), "the test never opened the gate"
        self._inner.accept_audio(pcm16_mono)

    def partial(self) -> list[RecognizedWord]:
        return list(self._inner.partial())

    def finish_utterance(self) -> list[RecognizedWord]:
        return list(self._inner.finish_utterance())

    def close(self) -> None:
        self._inner.close()


class _GatedRecognizer:
    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self._inner = ScriptedRecognizer(SCRIPT)

    def new_session(self, sample_rate: int) -> _GatedSession:
        return _GatedSession(self._inner.new_session(sample_rate), self.gate, self.entered)


def _wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_partial_results_arrive_before_the_end_of_the_audio() -> None:
    with server() as running, stream(presigned(running)) as ws:
        for _ in range(30):  # 3 s of audio, and no end-of-audio event yet
            ws.send(audio(CHUNK))
        decoder = EventStreamDecoder()
        messages = []
        while not messages:
            messages = decoder.feed(ws.recv(timeout=10))  # type: ignore[arg-type]
        first = results_of(messages)
        assert first and first[0]["IsPartial"] is True
        assert first[0]["Alternatives"][0]["Transcript"]
        ws.send(audio(b""))
        rest = results_of(receive_all(ws))
        assert rest[-1]["IsPartial"] is False


def test_a_sender_faster_than_recognition_is_pushed_back_by_a_bounded_queue() -> None:
    recognizer = _GatedRecognizer()
    frames = 3000  # 9.6 MB: more than every socket buffer between the client and the queue
    with server(recognizer=recognizer, audio_queue_bytes=4 * len(CHUNK)) as running, stream(presigned(running)) as ws:
        sent: list[int] = []

        def send_all() -> None:
            for _ in range(frames):
                ws.send(audio(CHUNK))
                sent.append(1)
            ws.send(audio(b""))

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        assert recognizer.entered.wait(30)
        _wait_until(lambda: running.audio_queue_high_water >= 4 * len(CHUNK))
        # Recognition is held and the queue is full, so the server reads no more: the sender is
        # blocked, since the frames exceed every buffer on the way (socket buffers of a few MiB).
        assert sender.is_alive()
        assert len(sent) < frames
        assert running.audio_queue_high_water == 4 * len(CHUNK)
        recognizer.gate.set()
        messages = receive_all(ws, timeout=60)
        sender.join(60)
        assert not sender.is_alive()
        assert len(sent) == frames
        assert running.audio_queue_high_water == 4 * len(CHUNK)  # the bound was reached, and held
        results = results_of(messages)
        assert results[-1]["IsPartial"] is False
        assert results[-1]["Alternatives"][0]["Transcript"].startswith("Good morning")
