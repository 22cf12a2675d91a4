"""Users' ``mypy --strict`` on the asyncio streaming API: one return type per call, no union to narrow.

``transcribe()`` used to return ``AsyncTranscription | AsyncResilientTranscription``, so that
``events.reconnects`` failed a user's type check. It runs mypy (in-process) on the code a user writes.
"""

from __future__ import annotations

from pathlib import Path

from streaming.users_mypy import users_mypy

USER_CODE = """
from transcribe_medical import AsyncTranscribeMedical, StreamConfig, Transcript
from transcribe_medical.models.events import Result
from transcribe_medical.models.transcript import Gap
from transcribe_medical.streaming.reconnect import ReconnectEvent


async def on_final(result: Result) -> None:
    print(result.transcript)


async def main() -> None:
    async with AsyncTranscribeMedical(region_name="us-east-1") as client:
        for reconnect in (True, False):
            events = client.streaming.transcribe("visit.wav", StreamConfig(), reconnect=reconnect)
            async with events:
                async for event in events:
                    print(len(event.results))
            reconnects: list[ReconnectEvent] = events.reconnects
            gaps: list[Gap] = events.gaps
            transcript: Transcript = events.transcript
            print(reconnects, gaps, transcript.text)
        whole: Transcript = await client.streaming.transcribe_file(
            "visit.wav", on_partial=lambda result: print(result.transcript), on_final=on_final
        )
        async with client.streaming.connect(StreamConfig(media_encoding="pcm", sample_rate=16000)) as live:
            await live.send_audio(b"\\0" * 3200)
            await live.end()
            async for _ in live:
                pass
            live_reconnects: list[ReconnectEvent] = live.reconnects
            print(whole.text, live_reconnects, live.transcript.text)
"""


def test_user_code_passes_mypy_strict(tmp_path: Path) -> None:
    status, report = users_mypy(USER_CODE, tmp_path)
    assert status == 0, report
