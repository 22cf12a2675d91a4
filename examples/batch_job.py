"""Run a batch medical transcription job: upload, start, wait, fetch, print.

Against the local emulator (no AWS account)::

    python examples/batch_job.py --local                   # the bundled sample dictation

Against AWS (or ``transcribe-medical serve`` after its ``export`` lines)::

    python examples/batch_job.py visit.wav --bucket my-bucket
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from transcribe_medical import JobSettings, TranscribeMedical


@contextlib.contextmanager
def open_client(local: bool, bucket: str | None) -> Iterator[tuple[TranscribeMedical, str]]:
    """A client and a bucket: AWS's, or an emulator started in this process when ``local``."""
    if not local:
        if not bucket:
            raise SystemExit("--bucket is required unless --local is given")
        with TranscribeMedical() as client:
            yield client, bucket
        return
    from transcribe_medical.local import LocalTranscribeMedical

    with LocalTranscribeMedical() as emulator, emulator.client() as client:
        yield client, emulator.create_bucket(bucket or "examples-batch")


def main() -> None:
    """Parse the arguments, run the job, print the transcript."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audio", nargs="?", help="audio file (default: the bundled sample)")
    parser.add_argument("--bucket", help="S3 bucket for the upload and the transcript")
    parser.add_argument("--local", action="store_true", help="use an in-process local emulator")
    args = parser.parse_args()

    audio = args.audio
    if audio is None:
        from transcribe_medical.local import sample_dictation

        audio, _ = sample_dictation()

    with open_client(args.local, args.bucket) as (client, bucket):
        transcript = client.jobs.transcribe_file(
            audio,
            bucket=bucket,
            specialty="PRIMARYCARE",
            type="CONVERSATION",
            settings=JobSettings(show_speaker_labels=True, max_speakers=2),
            content_identification="PHI",
            poll_interval=0.5 if args.local else 5.0,
        )
    for segment in transcript.segments:
        print(f"{segment.speaker or '':6} [{segment.start:6.2f}s] {segment.text}")
    print(f"\n{len(transcript.entities)} PHI entities labelled (Transcribe labels PHI; redacting is up to you).")
    print("Results below your confidence threshold should be reviewed by a trained person.")


if __name__ == "__main__":
    main()
