"""The stream benchmark's baseline and server do what they claim: tested, not timed.

The hand-written peer client is the yardstick of benchmark 3, so it must be a correct client: its
AudioEvents decode with botocore's and our decoders, and the emulator (which checks SigV4
signatures) accepts its presigned URL and transcribes its audio. The frame server must release
results as the audio reaches them, and the workers must report what they measured.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

from transcribe_medical.eventstream import EventStreamDecoder
from transcribe_medical.local import EmulatorCredentials, ScriptedRecognizer, StreamingServer

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # the benchmark modules import each other by name
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


peer = _load("_peer_client")
frame_server = _load("_frame_server")
bench_streams = _load("bench_streams")

QUERY = {
    "language-code": "en-US",
    "media-encoding": "pcm",
    "sample-rate": "16000",
    "specialty": "PRIMARYCARE",
    "type": "DICTATION",
}


@pytest.mark.parametrize("chunk", [b"", b"\x00\x01", bytes(range(256)) * 13])
def test_peer_audio_events_decode_with_botocore_and_ours(chunk: bytes) -> None:
    frame = peer.encode_audio_event(chunk)
    buffer = EventStreamBuffer()
    buffer.add_data(frame)
    [theirs] = list(buffer)  # botocore checks both CRCs
    assert theirs.payload == chunk
    assert theirs.headers == {
        ":message-type": "event",
        ":event-type": "AudioEvent",
        ":content-type": "application/octet-stream",
    }
    [ours] = EventStreamDecoder().feed(frame)
    assert ours.payload == chunk and ours.headers[":event-type"] == "AudioEvent"


def test_peer_streams_to_the_emulator_with_a_url_botocore_signed() -> None:
    credentials = EmulatorCredentials("AKIDPEERBASELINE0000", "peer/baseline/secret+key")
    script = "The patient is a fifty four year old male. He denies chest pain."
    server = StreamingServer(credentials=credentials, region="us-east-1", recognizer=ScriptedRecognizer(script))
    with server:
        signer = Credentials(credentials.access_key_id, credentials.secret_access_key)
        url = peer.presign(signer, "us-east-1", server.endpoint + "/medical-stream-transcription-websocket", QUERY)
        received = peer.stream_sync(url, [bytes(3200)] * 80, 0.0)  # 8 s of audio, unpaced
    assert received.events > 0
    assert received.transcript.split()[:3] == ["The", "patient", "is"]


def test_peer_refuses_an_exception_event() -> None:
    from transcribe_medical.eventstream import encode_message

    stream = peer.PeerStream()
    headers = {":message-type": "exception", ":exception-type": "BadRequestException"}
    with pytest.raises(RuntimeError, match="BadRequestException"):
        stream.receive(encode_message(headers, b'{"Message": "no"}'))


def test_frame_server_counts_the_audio_in_an_audio_event() -> None:
    assert frame_server._audio_bytes(peer.encode_audio_event(bytes(3200))) == 3200
    assert frame_server._audio_bytes(peer.encode_audio_event(b"")) == 0


def test_frame_server_dictation_ends_later_with_every_event() -> None:
    dictation = frame_server._Dictation()
    ends = [dictation.frame(index)[0] for index in range(200)]  # past the first cycle of utterances
    assert ends == sorted(ends) and ends[0] > 0
    _, frame = dictation.frame(199)
    [message] = EventStreamDecoder().feed(frame)
    assert json.loads(message.payload)["Transcript"]["Results"][0]["EndTime"] == ends[199]
    assert dictation.frame(5) is dictation.frame(5)  # encoded once, shared by every connection


def test_a_pair_of_workers_reports_both_sides() -> None:
    """Both workers stream to the frame server and report CPU, memory and what they received."""
    with bench_streams.frame_server() as endpoint:
        sides = bench_streams.run_pair(
            endpoint, "--streams", "2", "--seconds", "8", "--fast", "--flavour", "sync", timeout=120
        )
    for side in sides.values():
        assert side.cpu_s > 0 and side.audio_s == 16
        assert len(side.events) == 2 and min(side.events) > 0
        assert side.rss_peak >= side.rss_before > 0
    assert sides["ours"].words == sides["peer"].words  # the same results reached both
    assert min(sides["ours"].words) > 0


def test_a_long_stream_reports_memory_at_the_mark_and_at_the_end() -> None:
    with bench_streams.frame_server() as endpoint:
        sides = bench_streams.run_pair(endpoint, "--seconds", "12", "--fast", "--mark-at", "6", timeout=120)
    for side in sides.values():
        assert set(side.marks) == {"mark", "end"}
        assert min(side.marks.values()) > 0


def test_side_arithmetic() -> None:
    side = bench_streams.Side(
        cpu_s=0.5,
        wall_s=1.0,
        audio_s=250.0,
        rss_before=10 * 2**20,
        rss_peak=10 * 2**20 + 100 * 1024,
        events=[3, 3, 3, 3],
        words=[1, 1, 1, 1],
        marks={"mark": 2**20, "end": 3 * 2**20},
    )
    assert side.cpu_ms_per_audio_s == 2.0
    assert side.rss_per_stream() == 25 * 1024
    assert side.growth() == 2 * 2**20
