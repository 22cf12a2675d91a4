"""Stream a visit to AWS HealthScribe over HTTP/2: live transcript, then the clinical note.

Against the local emulator (no AWS account), on the bundled two-person visit::

    python examples/healthscribe_stream.py --local

Against AWS (or ``transcribe-medical serve`` after its ``export`` lines)::

    python examples/healthscribe_stream.py visit.wav --bucket my-output-bucket \\
        --role-arn arn:aws:iam::111122223333:role/HealthScribeAccess

A two-channel WAV (clinician on channel 0, patient on channel 1) is sent with channel
definitions, so the live segments name their speakers. The audio is paced in real time unless
``--fast``; a dropped connection is resumed with the same session id. The note is printed with
each sentence's speakers.
"""

from __future__ import annotations

import argparse
import contextlib
import wave
from collections.abc import Iterator

from transcribe_medical import ScribeStreamConfig, TranscribeMedical

#: The emulator's account: any role of it is accepted there.
LOCAL_ROLE_ARN = "arn:aws:iam::123456789012:role/HealthScribeAccess"
CHANNEL_ROLES = [
    {"channel_id": 0, "participant_role": "CLINICIAN"},
    {"channel_id": 1, "participant_role": "PATIENT"},
]


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
        yield client, emulator.create_bucket(bucket or "examples-healthscribe")


def two_channels(path: str) -> bool:
    """True for a WAV file with two channels."""
    try:
        with wave.open(path, "rb") as audio:
            return audio.getnchannels() == 2
    except (wave.Error, EOFError, OSError):
        return False


def main() -> None:
    """Parse the arguments, stream the visit, print the segments and the note."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audio", nargs="?", help="the visit's recording (default: the bundled visit)")
    parser.add_argument("--bucket", help="S3 bucket for HealthScribe's outputs")
    parser.add_argument("--role-arn", help="IAM role HealthScribe assumes (required against AWS)")
    parser.add_argument("--template", default="HISTORY_AND_PHYSICAL", help="note template")
    parser.add_argument("--fast", action="store_true", help="send the audio as fast as accepted")
    parser.add_argument("--local", action="store_true", help="use an in-process local emulator")
    args = parser.parse_args()

    audio = args.audio
    if audio is None:
        from transcribe_medical.local import sample_visit

        audio, _ = sample_visit()
    role_arn = args.role_arn or (LOCAL_ROLE_ARN if args.local else None)
    if role_arn is None:
        raise SystemExit("--role-arn is required unless --local is given")

    with open_client(args.local, args.bucket) as (client, bucket):
        config = ScribeStreamConfig(
            role_arn=role_arn,
            output_bucket=bucket,
            note_template=args.template,
            channel_definitions=CHANNEL_ROLES if two_channels(str(audio)) else None,
        )
        run = client.scribe.streaming.transcribe(
            audio, config, realtime=not args.fast, on_resume=lambda n: print(f"(reconnected, {n})")
        )
        print(f"HealthScribe session {run.session_id}")
        for event in run:
            if not event.is_partial:
                segment = event.segment
                print(f"  {segment.start:6.1f}s {segment.speaker or segment.channel or '?':>12}: {segment.text}")
        print("Session ended; waiting for the clinical note...")
        note = run.note(poll_interval=0.5 if args.local else 5.0)

    print(f"\nClinical note ({note.template or 'default template'}):")
    by_id = {segment.segment_id: segment for segment in run.transcript.segments}
    for section in note.sections:
        print(f"  {section.title}")
        for sentence in section.sentences:
            speakers = sorted({by_id[i].speaker or "?" for i in sentence.evidence if i in by_id})
            print(f"    - {sentence.text}  (from {', '.join(speakers) or 'no linked segment'})")
    print("A generated note is a draft: a clinician must review it against the conversation before use.")


if __name__ == "__main__":
    main()
