"""Keep-alive of a HealthScribe session, sans-I/O: the interval, the timer, the silence it sends."""

from __future__ import annotations

import pytest

from transcribe_medical import ValidationError
from transcribe_medical._exceptions import ProtocolError
from transcribe_medical.scribe.streaming.config import ScribeStreamConfig
from transcribe_medical.scribe.streaming.keepalive import KeepAliveTimer, check_keepalive_interval
from transcribe_medical.scribe.streaming.protocol import ScribeSessionProtocol
from transcribe_medical.scribe.streaming.session_sync import ScribeStreamSession

ROLE = "arn:aws:iam::111122223333:role/HealthScribeAccess"
CHANNELS = [{"channel_id": 0, "participant_role": "CLINICIAN"}, {"channel_id": 1, "participant_role": "PATIENT"}]


def _protocol(**settings: object) -> ScribeSessionProtocol:
    config = ScribeStreamConfig(role_arn=ROLE, output_bucket="notes-bucket", **settings).with_session_id()
    return ScribeSessionProtocol(config)


@pytest.mark.parametrize("value", [0, -1.0, 15.0, 20.0])
def test_an_interval_outside_the_idle_timeout_is_refused_naming_the_field(value: float) -> None:
    with pytest.raises(ValidationError, match=r"^keepalive_interval: .* is invalid") as raised:
        check_keepalive_interval(value)
    assert raised.value.field == "keepalive_interval"


def test_an_interval_inside_it_or_none_is_kept() -> None:
    assert check_keepalive_interval(None) is None
    assert check_keepalive_interval(5) == 5.0
    assert check_keepalive_interval(14.5) == 14.5


def test_the_timer_is_reset_by_every_send() -> None:
    timer = KeepAliveTimer(5.0, now=100.0)
    assert timer.due_in(103.0) == 2.0
    timer.reset(104.0)
    assert timer.due_in(107.0) == 2.0 and timer.idle(107.0) == 3.0
    assert KeepAliveTimer(None, now=0.0).due_in(1000.0) is None


def test_the_rest_of_a_pause_since_its_last_silence_is_owed_once() -> None:
    timer = KeepAliveTimer(5.0, now=0.0)
    assert timer.rest_of_pause(3.0) == 0.0  # no keep-alive silence in this pause: nothing owed
    timer.silenced(5.0)
    assert timer.due_in(5.0) == 5.0  # silence is a send
    timer.silenced(10.0)
    assert timer.rest_of_pause(12.5) == 2.5  # from the last silence to the audio that resumes
    assert timer.rest_of_pause(13.0) == 0.0  # asked once per pause
    timer.silenced(20.0)
    assert timer.rest_of_pause(20.001) == 0.0  # too little to be worth a frame


def test_silence_lasts_the_pause_in_whole_frames_of_at_most_a_second_and_32_kib() -> None:
    protocol = _protocol(sample_rate=48000, channel_definitions=CHANNELS)  # 192,000 bytes a second
    chunks = protocol.silence(3.3)
    assert all(chunk == bytes(len(chunk)) for chunk in chunks)
    assert all(0 < len(chunk) <= 32768 and len(chunk) % 4 == 0 for chunk in chunks)
    assert sum(map(len, chunks)) == int(3.3 * 192_000) // 4 * 4
    # At most the idle timeout's worth at once, however long the machine slept.
    assert sum(map(len, _protocol(sample_rate=16000).silence(600.0))) == 15 * 32_000
    assert all(len(chunk) <= 32_000 for chunk in _protocol(sample_rate=16000).silence(2.0))  # one second


def test_compressed_audio_gets_no_silence_and_no_keep_alive() -> None:
    protocol = _protocol(sample_rate=16000, media_encoding="flac")
    with pytest.raises(ProtocolError, match="PCM"):
        protocol.silence(1.0)

    class Unused:
        def close(self) -> None:
            pass

    session = ScribeStreamSession(Unused(), protocol, note=lambda **_: None)  # type: ignore[arg-type]
    try:
        assert session._keeper is None  # nothing to keep a FLAC session open with
    finally:
        session.close()


def test_a_pcm_session_keeps_alive_until_closed() -> None:
    class Unused:
        def close(self) -> None:
            pass

    session = ScribeStreamSession(Unused(), _protocol(sample_rate=16000), note=lambda **_: None)  # type: ignore[arg-type]
    keeper = session._keeper
    assert keeper is not None and keeper.is_alive()
    session.close()  # wakes it: it ends without sending anything
    assert not keeper.is_alive() and session.silence_sent == 0.0
