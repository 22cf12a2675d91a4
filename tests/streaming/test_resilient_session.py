"""The sans-I/O core of resilient streaming, without sockets: replay buffer, offsets, dedup, budget."""

from __future__ import annotations

from typing import Any

import pytest

from transcribe_medical import ConnectionError, RetryPolicy, StreamConfig, ValidationError
from transcribe_medical._exceptions import (
    BadRequestError,
    ConflictError,
    CredentialsError,
    InternalFailureError,
    LimitExceededError,
    ProtocolError,
    ServiceUnavailableError,
    TimeoutError,
)
from transcribe_medical._retry import retry_delay
from transcribe_medical.models.events import Result, TranscriptEvent
from transcribe_medical.streaming.reconnect import (
    ReconnectPolicy,
    ResilientSession,
    failure_reason,
)

PCM = StreamConfig(media_encoding="pcm", sample_rate=16000)
FLAC = StreamConfig(media_encoding="flac", sample_rate=16000)
BPS = 32_000
RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0, max_elapsed=None)


def session(config: StreamConfig = PCM, retry: RetryPolicy = RETRY, **policy: Any) -> ResilientSession:
    made = ResilientSession(config, retry=retry, policy=ReconnectPolicy(**policy))
    made.begin_session(made.next_session_id(), now=0.0)
    return made


def result(
    rid: str, words: list[tuple[str, float, float]], *, partial: bool = False, channel: str | None = None
) -> Result:
    items = [
        {"StartTime": s, "EndTime": e, "Type": "pronunciation", "Content": w, "Confidence": 0.9} for w, s, e in words
    ]
    if not partial:
        items.append({"StartTime": words[-1][2], "EndTime": words[-1][2], "Type": "punctuation", "Content": "."})
    payload: dict[str, Any] = {
        "ResultId": rid,
        "StartTime": words[0][1],
        "EndTime": words[-1][2],
        "IsPartial": partial,
        "Alternatives": [{"Transcript": " ".join(w for w, _, _ in words) + ("" if partial else "."), "Items": items}],
    }
    if channel:
        payload["ChannelId"] = channel
    return Result.model_validate(payload)


def event(*results: Result) -> TranscriptEvent:
    return TranscriptEvent.from_results(list(results))


# ---------------------------------------------------------------- the replay buffer


def test_the_buffer_holds_at_most_replay_seconds_of_audio() -> None:
    resilient = session(replay_seconds=1.0)
    for _ in range(30):
        resilient.accept_audio(bytes(3200))  # 3 s in all
    assert resilient.buffered_bytes == BPS
    assert resilient.accepted_bytes == 30 * 3200


def test_without_finals_everything_is_replayed_from_the_start() -> None:
    resilient = session()
    resilient.accept_audio(b"\x01\x00" * 16000)
    replay = resilient.begin_session("s2", now=1.0)
    assert (replay.offset, replay.lost_seconds) == (0.0, 0.0)
    assert replay.audio == b"\x01\x00" * 16000


def test_a_gap_longer_than_the_buffer_replays_what_it_has_and_reports_the_loss() -> None:
    resilient = session(replay_seconds=1.0)
    for _ in range(30):
        resilient.accept_audio(bytes(3200))
    replay = resilient.begin_session("s2", now=1.0)
    assert len(replay.audio) == BPS
    assert replay.offset == 2.0  # the new session starts where the buffer does ...
    assert replay.lost_seconds == 2.0  # ... and the 2 s before it are reported lost


def test_the_buffer_keeps_whole_frames_for_two_channels() -> None:
    stereo = StreamConfig(media_encoding="pcm", sample_rate=16000, channel_identification=True)
    resilient = session(stereo, replay_seconds=0.1)
    for size in (1000, 3004, 2220):
        resilient.accept_audio(bytes(size))
    assert resilient.buffered_bytes % 4 == 0 and resilient.buffered_bytes <= 6400


# ---------------------------------------------------------------- offsets and dedup


def test_a_new_session_resumes_at_the_end_of_the_last_final_and_is_shifted() -> None:
    resilient = session()
    resilient.accept_audio(bytes(3 * BPS))
    resilient.receive(event(result("a", [("chest", 0.2, 0.5), ("pain", 0.6, 1.25)])))
    replay = resilient.begin_session("s2", now=2.0)
    assert replay.offset == 1.25
    assert len(replay.audio) == 3 * BPS - int(1.25 * BPS)
    out = resilient.receive(event(result("b", [("no", 0.25, 0.5), ("fever", 0.6, 0.9)])))
    assert out is not None
    assert (out.results[0].start_time, out.results[0].end_time) == (1.5, 2.15)
    assert [item.start_time for item in out.results[0].alternatives[0].items] == [1.5, 1.85, 2.15]
    assert [segment.text for segment in resilient.transcript.segments] == ["chest pain.", "no fever."]


def test_a_result_still_in_progress_moves_the_resume_point_back() -> None:
    stereo = StreamConfig(media_encoding="pcm", sample_rate=16000, channel_identification=True)
    resilient = session(stereo)
    resilient.accept_audio(bytes(4 * 64_000))
    resilient.receive(event(result("a", [("hello", 0.0, 3.0)], channel="ch_0")))
    resilient.receive(event(result("b", [("yes", 1.0, 1.5)], partial=True, channel="ch_1")))
    assert resilient.begin_session("s2", now=1.0).offset == 1.0


def test_a_final_seen_again_after_a_reconnect_is_dropped() -> None:
    resilient = session()
    resilient.accept_audio(bytes(2 * BPS))
    first = result("a", [("chest", 0.0, 0.4), ("pain", 0.5, 0.9)])
    assert resilient.receive(event(first)) is not None
    assert resilient.receive(event(first)) is None  # the same final again
    assert resilient.transcript.text == "chest pain."


def test_only_the_new_words_of_a_final_that_overlaps_what_is_final_are_kept() -> None:
    stereo = StreamConfig(media_encoding="pcm", sample_rate=16000, channel_identification=True)
    resilient = session(stereo)
    resilient.accept_audio(bytes(5 * 64_000))
    resilient.receive(event(result("a", [("hello", 0.5, 3.0)], channel="ch_0")))
    resilient.receive(event(result("b", [("yes", 1.0, 1.5)], partial=True, channel="ch_1")))
    assert resilient.begin_session("s2", now=1.0).offset == 1.0  # back to the partial of ch_1
    # The new session hears ch_0's last word again (now from 0.0 = 1.0 s) and a new one.
    out = resilient.receive(event(result("c", [("hello", 0.0, 2.0), ("there", 2.5, 2.8)], channel="ch_0")))
    assert out is not None
    assert out.results[0].transcript == "there."
    assert out.results[0].start_time == 3.5
    assert resilient.receive(event(result("d", [("hello", 0.0, 2.0)], channel="ch_0"))) is None
    assert [segment.text for segment in resilient.transcript.segments] == ["hello.", "there."]


def test_partials_pass_through_shifted_and_never_reach_the_transcript() -> None:
    resilient = session()
    resilient.accept_audio(bytes(BPS))
    resilient.receive(event(result("a", [("chest", 0.0, 0.4)])))
    resilient.begin_session("s2", now=1.0)
    out = resilient.receive(event(result("p", [("pa", 0.1, 0.2)], partial=True)))
    assert out is not None and out.results[0].start_time == 0.5 and out.results[0].is_partial
    assert resilient.transcript.text == "chest."
    assert resilient.receive(event()) is not None  # an empty event is passed on as it is


def test_session_ids_are_fresh_after_the_first() -> None:
    config = PCM.model_copy(update={"session_id": "2a0c1d2e-0000-4000-8000-000000000001"})
    resilient = ResilientSession(config, retry=RETRY)
    assert resilient.next_session_id() == config.session_id
    resilient.begin_session(resilient.next_session_id(), now=0.0)
    following = resilient.next_session_id()
    assert following != config.session_id and len(following) == 36
    assert resilient.config_for(following).session_id == following
    assert resilient.transcript.session_id == config.session_id


# ---------------------------------------------------------------- compressed audio, silence, rollover


def test_compressed_audio_is_replayed_whole_from_its_header() -> None:
    resilient = session(FLAC)
    resilient.accept_audio(b"fLaC" + bytes(100))
    resilient.receive(event(result("a", [("chest", 0.0, 0.4)])))
    replay = resilient.begin_session("s2", now=1.0)
    assert replay.audio.startswith(b"fLaC") and len(replay.audio) == 104
    assert (replay.offset, replay.lost_seconds) == (0.0, None)
    with pytest.raises(ValueError, match="compressed"):
        resilient.silence(1.0)


def test_a_compressed_stream_larger_than_its_buffer_cannot_resume() -> None:
    resilient = session(FLAC, compressed_replay_bytes=64)
    resilient.accept_audio(bytes(100))
    decision = resilient.on_failure(ConnectionError("dropped"), now=1.0)
    assert not decision.reconnect
    assert isinstance(decision.error, ConnectionError) and "replay buffer" in str(decision.error)


def test_silence_is_zeros_in_whole_frames() -> None:
    resilient = session()
    assert resilient.silence(0.5) == bytes(16_000)
    assert resilient.silence(0.0) == bytes(2)  # never empty: an empty AudioEvent would end the stream
    assert len(resilient.silence(60)) == 15 * BPS  # capped at the idle timeout


def test_rollover_is_due_by_audio_or_wall_time() -> None:
    resilient = session(max_session_seconds=2.0)
    assert not resilient.needs_rollover(now=1.0)
    resilient.accept_audio(bytes(2 * BPS))
    assert resilient.needs_rollover(now=1.0)
    resilient.session_ended()
    resilient.accept_audio(bytes(3200))
    replay = resilient.begin_session("s2", now=1.0)
    assert replay.offset == 2.0 and len(replay.audio) == 3200  # the ended session's audio is all final
    assert not resilient.needs_rollover(now=2.0)
    assert resilient.needs_rollover(now=3.5)
    assert not session(FLAC, max_session_seconds=1.0).needs_rollover(now=10.0)


# ---------------------------------------------------------------- the retry budget


@pytest.mark.parametrize(
    "error",
    [
        ConnectionError("lost"),
        InternalFailureError("x", code="InternalFailureException"),
        ServiceUnavailableError("x", code="ServiceUnavailableException"),
        LimitExceededError("x", code="LimitExceededException"),
        TimeoutError("stalled"),
    ],
)
def test_retryable_failures_reconnect_at_once_then_back_off(error: Exception) -> None:
    resilient = session(retry=RetryPolicy(max_attempts=5, initial_backoff=0.5, max_backoff=0.5, max_elapsed=None))
    first = resilient.on_failure(error, now=1.0)
    assert first.reconnect and first.delay == 0.0 and first.attempt == 1
    second = resilient.on_failure(error, now=1.1)
    assert second.reconnect and 0.0 <= second.delay <= 0.5 and second.attempt == 2


@pytest.mark.parametrize(
    "error",
    [
        BadRequestError("x", code="BadRequestException"),
        ConflictError("x", code="ConflictException"),
        CredentialsError("refused"),
        ProtocolError("bad crc"),
    ],
)
def test_failures_a_reconnect_cannot_fix_are_raised_as_they_are(error: Exception) -> None:
    decision = session().on_failure(error, now=1.0)
    assert not decision.reconnect and decision.error is error


def test_a_spent_budget_gives_connection_error_with_the_transcript() -> None:
    resilient = session()
    resilient.accept_audio(bytes(BPS))
    resilient.receive(event(result("a", [("chest", 0.0, 0.4)])))
    lost = ConnectionError("lost")
    assert resilient.on_failure(lost, now=1.0).reconnect
    assert resilient.on_failure(lost, now=1.0).reconnect
    decision = resilient.on_failure(lost, now=1.0)
    assert not decision.reconnect
    assert isinstance(decision.error, ConnectionError) and decision.error is not lost
    assert decision.error.transcript is not None and decision.error.transcript.text == "chest."
    assert "2 reconnect attempt(s)" in str(decision.error)


def test_one_attempt_means_no_reconnect_and_the_error_itself() -> None:
    lost = ConnectionError("lost")
    decision = session(retry=RetryPolicy(max_attempts=1)).on_failure(lost, now=0.0)
    assert not decision.reconnect and decision.error is lost


def test_the_elapsed_time_budget_ends_an_outage() -> None:
    resilient = session(retry=RetryPolicy(max_attempts=10, initial_backoff=0.0, max_backoff=0.0, max_elapsed=5.0))
    assert resilient.on_failure(ConnectionError("lost"), now=0.0).reconnect
    assert not resilient.on_failure(ConnectionError("lost"), now=6.0).reconnect


def test_only_a_new_final_result_starts_a_new_outage() -> None:
    resilient = session(stable_after=30.0)
    resilient.accept_audio(bytes(4 * BPS))
    lost = ConnectionError("lost")
    for round_ in range(5):  # many failures, each after a new final: never out of budget
        assert resilient.on_failure(lost, now=float(round_)).reconnect
        resilient.begin_session(f"s{round_}", now=float(round_))
        resilient.receive(event(result(f"r{round_}", [("w", 0.1, 0.2)])))
    assert resilient.on_failure(lost, now=10.0).attempt == 1
    resilient.begin_session("late", now=10.0)
    # Lived 40 s without a new final (a peer that accepts and says nothing): the attempts add up.
    assert resilient.on_failure(lost, now=50.0).attempt == 2
    resilient.begin_session("later", now=50.0)
    decision = resilient.on_failure(lost, now=90.0)
    assert not decision.reconnect and isinstance(decision.error, ConnectionError)
    assert "2 reconnect attempt(s)" in str(decision.error)


def test_a_long_session_without_progress_restarts_the_time_window_only() -> None:
    retry = RetryPolicy(max_attempts=4, initial_backoff=0.0, max_backoff=0.0, max_elapsed=60.0)
    resilient = session(retry=retry, stable_after=30.0)
    resilient.accept_audio(bytes(BPS))
    timeout = TimeoutError("silent")
    assert resilient.on_failure(timeout, now=0.0).attempt == 1
    resilient.begin_session("s1", now=0.0)
    assert resilient.on_failure(timeout, now=61.0).attempt == 2  # past max_elapsed, but a new window
    resilient.begin_session("s2", now=61.0)
    assert resilient.on_failure(timeout, now=122.0).attempt == 3
    resilient.begin_session("s3", now=122.0)
    assert not resilient.on_failure(timeout, now=183.0).reconnect  # 4 attempts in all


def test_a_stream_length_limit_is_not_retried() -> None:
    resilient = session(max_session_seconds=10.0)
    error = LimitExceededError("too long", code="LimitExceededException")
    assert not resilient.on_failure(error, now=11.0).reconnect
    assert session(max_session_seconds=10.0).on_failure(error, now=1.0).reconnect


def test_disabled_policy_never_reconnects() -> None:
    lost = ConnectionError("lost")
    assert session(enabled=False).on_failure(lost, now=0.0).error is lost
    assert ReconnectPolicy.from_option(False).enabled is False
    policy = ReconnectPolicy(replay_seconds=5)
    assert ReconnectPolicy.from_option(policy) is policy


@pytest.mark.parametrize(
    "options",
    [
        {"replay_seconds": 0},
        {"keepalive_interval": 15.0},
        {"keepalive_interval": 0},
        {"max_session_seconds": 20_000},
        {"compressed_replay_bytes": 0},
    ],
)
def test_bad_policies_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ReconnectPolicy(**options)


def test_reconnect_events_describe_themselves_without_text() -> None:
    resilient = session()
    resilient.accept_audio(bytes(BPS))
    resilient.receive(event(result("a", [("secretword", 0.0, 0.5)])))
    decision = resilient.on_failure(InternalFailureError("x", code="InternalFailureException"), now=1.0)
    previous = resilient.session_id
    replay = resilient.begin_session("s2", now=1.0)
    reason = failure_reason(InternalFailureError("x", code="InternalFailureException"))
    reconnect = resilient.make_event(decision, reason, previous, replay)
    assert reconnect.reason == "InternalFailureException" and reconnect.resume_time == 0.5
    assert reconnect.replayed_seconds == 0.5 and reconnect.session_id == "s2"
    line = reconnect.describe()
    assert "secretword" not in line and "InternalFailureException" in line and "0.5 s" in line


def test_failure_reasons_are_short_names() -> None:
    assert failure_reason(None) == "connection lost"
    assert failure_reason(ConnectionError("x")) == "connection lost"
    assert failure_reason(TimeoutError("x")) == "timeout"
    unavailable = ServiceUnavailableError("x", code="ServiceUnavailableException")
    assert failure_reason(unavailable) == "ServiceUnavailableException"


def test_retry_delay_follows_the_policy() -> None:
    policy = RetryPolicy(initial_backoff=0.5, max_backoff=2.0)
    assert all(0.0 <= retry_delay(policy, attempt) <= 2.0 for attempt in range(1, 10))
    assert retry_delay(RetryPolicy(initial_backoff=0.0, max_backoff=0.0), 3) == 0.0


# ---------------------------------------------------------------- a live buffer trimmed at finals, gaps


def test_the_buffer_is_trimmed_at_each_final_not_only_at_capacity() -> None:
    resilient = session(replay_seconds=60.0)
    resilient.accept_audio(bytes(3 * BPS))
    assert resilient.buffered_bytes == 3 * BPS
    resilient.receive(event(result("a", [("chest", 0.2, 0.5), ("pain", 0.6, 1.25)])))
    assert resilient.buffered_bytes == 3 * BPS - int(1.25 * BPS)  # only what no final covers
    replay = resilient.begin_session("s2", now=1.0)
    assert (replay.offset, replay.lost_seconds, len(replay.audio)) == (1.25, 0.0, resilient.accepted_bytes - 40_000)
    assert not resilient.transcript.incomplete


def test_a_partial_on_a_channel_without_finals_keeps_the_buffer_from_being_trimmed_past_it() -> None:
    stereo = StreamConfig(media_encoding="pcm", sample_rate=16000, channel_identification=True)
    resilient = session(stereo)
    resilient.accept_audio(bytes(4 * 64_000))
    resilient.receive(event(result("a", [("hello", 0.0, 3.0)], channel="ch_0")))
    resilient.receive(event(result("b", [("yes", 1.0, 1.5)], partial=True, channel="ch_1")))
    replay = resilient.begin_session("s2", now=1.0)
    assert (replay.offset, replay.lost_seconds) == (1.0, 0.0)


def test_audio_an_outage_outran_is_a_gap_in_the_transcript() -> None:
    resilient = session(replay_seconds=1.0)
    resilient.accept_audio(bytes(BPS))
    resilient.receive(event(result("a", [("chest", 0.0, 0.5)])))
    resilient.accept_audio(bytes(3 * BPS))  # 4 s accepted, final up to 0.5 s, 1 s kept
    replay = resilient.begin_session("s2", now=1.0)
    assert (replay.offset, replay.lost_seconds) == (3.0, 2.5)
    transcript = resilient.transcript
    assert transcript.incomplete
    assert [(gap.start, gap.end) for gap in transcript.gaps] == [(0.5, 3.0)]
    assert transcript.text == "chest."


# ---------------------------------------------------------------- a source read again (a file)


class _File:
    """A seekable source's ``reread``, recording each read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reads: list[tuple[int, int]] = []

    def reread(self, start: int, end: int) -> Any:
        self.reads.append((start, end))
        for at in range(start, end, 1000):
            yield self.data[at : min(end, at + 1000)]


def test_a_file_is_re_read_from_the_last_final_however_far_back_and_nothing_is_buffered() -> None:
    audio = bytes(range(256)) * 1000  # 256 kB: 8 s
    source = _File(audio)
    resilient = ResilientSession(PCM, retry=RETRY, policy=ReconnectPolicy(replay_seconds=0.1), reread=source.reread)
    resilient.begin_session(resilient.next_session_id(), now=0.0)
    resilient.accept_audio(audio[:BPS])
    resilient.receive(event(result("a", [("chest", 0.2, 0.5)])))
    resilient.accept_audio(audio[BPS:])
    assert resilient.buffered_bytes == 0
    replay = resilient.begin_session("s2", now=1.0)
    assert (replay.offset, replay.lost_seconds, replay.size) == (0.5, 0.0, len(audio) - 16_000)
    assert b"".join(replay.chunks()) == audio[16_000:]
    assert source.reads == [(16_000, len(audio))]
    assert not resilient.transcript.incomplete


def test_keep_alive_silence_is_sent_again_where_it_was_when_a_file_is_re_read() -> None:
    audio = bytes(range(1, 201)) * 160  # 32,000 bytes of non-zero audio: 1 s
    source = _File(audio)
    resilient = ResilientSession(PCM, retry=RETRY, reread=source.reread)
    resilient.begin_session(resilient.next_session_id(), now=0.0)
    resilient.accept_audio(audio[:8000])
    resilient.accept_audio(bytes(4000), synthetic=True)  # the source stalled: silence kept it alive
    resilient.accept_audio(audio[8000:])
    replay = resilient.begin_session("s2", now=1.0)
    assert b"".join(replay.chunks()) == audio[:8000] + bytes(4000) + audio[8000:]
    resilient.receive(event(result("a", [("chest", 0.0, 0.375)])))  # 12,000 bytes: the end of the silence
    replay = resilient.begin_session("s3", now=2.0)
    assert b"".join(replay.chunks()) == audio[8000:]


def test_a_compressed_file_can_always_resume_from_its_first_byte() -> None:
    data = b"fLaC" + bytes(500)
    source = _File(data)
    resilient = ResilientSession(
        FLAC, retry=RETRY, policy=ReconnectPolicy(compressed_replay_bytes=64), reread=source.reread
    )
    resilient.begin_session(resilient.next_session_id(), now=0.0)
    resilient.accept_audio(data)
    assert resilient.resumable
    assert resilient.on_failure(ConnectionError("dropped"), now=1.0).reconnect
    replay = resilient.begin_session("s2", now=1.0)
    assert b"".join(replay.chunks()) == data and replay.lost_seconds is None
