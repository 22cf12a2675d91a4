"""Stream an audio file to Transcribe Medical and print the transcript and the words to review.

Run it against the local emulator (no AWS account) with ``--local``::

    python examples/stream_file.py --local                 # the bundled sample dictation
    python examples/stream_file.py --local visit.wav

Without ``--local`` it uses the standard AWS configuration (credentials, ``AWS_REGION``,
``AWS_ENDPOINT_URL_TRANSCRIBE_STREAMING``), so it also works against ``transcribe-medical serve``
after its ``export`` lines.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from transcribe_medical import StreamConfig, TranscribeMedical


@contextlib.contextmanager
def open_client(local: bool) -> Iterator[TranscribeMedical]:
    """A client for AWS, or for an emulator started in this process when ``local``."""
    if not local:
        with TranscribeMedical() as client:
            yield client
        return
    from transcribe_medical.local import LocalTranscribeMedical

    with LocalTranscribeMedical(batch=False) as emulator, emulator.client() as client:
        yield client


def main() -> None:
    """Parse the arguments, stream the file, print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audio", nargs="?", help="WAV/FLAC/Ogg-Opus file (default: the bundled sample)")
    parser.add_argument("--local", action="store_true", help="use an in-process local emulator")
    parser.add_argument("--realtime", action="store_true", help="send at the audio's own pace")
    parser.add_argument("--min-confidence", type=float, default=0.5)
    args = parser.parse_args()

    audio = args.audio
    if audio is None:
        from transcribe_medical.local import sample_dictation

        audio, _ = sample_dictation()

    config = StreamConfig(specialty="PRIMARYCARE", type="DICTATION", content_identification="PHI")
    # transcribe() yields every event (partial and final) as it arrives; this prints the finals.
    realtime = args.realtime
    with open_client(args.local) as client, client.streaming.transcribe(audio, config, realtime=realtime) as events:
        for event in events:
            for result in event.results:
                if not result.is_partial:
                    print(f"[{result.start_time:6.2f}s] {result.transcript}")
        transcript = events.transcript

    print("\nTranscript:", transcript.text)
    for flag in transcript.review(args.min_confidence):
        print(f"  review: {flag.content!r} (confidence {flag.confidence:.2f})")
    print("\nResults below the confidence threshold are flagged for review by a trained person.")


if __name__ == "__main__":
    main()
