"""Run an AWS HealthScribe job: upload a visit, get its clinical note and transcript, export them.

Against the local emulator (no AWS account), on the bundled two-person visit::

    python examples/healthscribe_job.py --local

Against AWS (or ``transcribe-medical serve`` after its ``export`` lines)::

    python examples/healthscribe_job.py visit.wav --bucket my-bucket \\
        --role-arn arn:aws:iam::111122223333:role/HealthScribeAccess

A two-channel recording (clinician on channel 0, patient on channel 1) is sent with channel
identification; anything else with speaker labels for two speakers. The note is written as
``note.html`` (beside the transcript, evidence highlighted) and ``note.fhir.json`` (a FHIR R4
DocumentReference), both with mode 0600.
"""

from __future__ import annotations

import argparse
import contextlib
import wave
from collections.abc import Iterator
from pathlib import Path

from transcribe_medical import TranscribeMedical
from transcribe_medical.exports import write_transcript_file
from transcribe_medical.exports.note_formats import export_note

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
    """True for a WAV file with two channels (other formats: assume one)."""
    try:
        with wave.open(path, "rb") as audio:
            return audio.getnchannels() == 2
    except (wave.Error, EOFError, OSError):
        return False


def main() -> None:
    """Parse the arguments, run the job, print the note, write the exports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audio", nargs="?", help="the visit's recording (default: the bundled visit)")
    parser.add_argument("--bucket", help="S3 bucket for the upload and the outputs")
    parser.add_argument("--role-arn", help="IAM role HealthScribe assumes (required against AWS)")
    parser.add_argument("--template", default="HISTORY_AND_PHYSICAL", help="note template")
    parser.add_argument("--out", default=".", help="directory for note.html and note.fhir.json")
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
        result = client.scribe.jobs.transcribe_file(
            audio,
            bucket=bucket,
            role_arn=role_arn,
            template=args.template,
            channel_definitions=CHANNEL_ROLES if two_channels(audio) else None,
            poll_interval=0.5 if args.local else 5.0,
            progress=lambda job: print(f"job {job.name}: {job.status_text}"),
        )

    print(f"\nClinical note ({result.note.template or 'default template'}):")
    for entry in result.evidence():
        speakers = ", ".join(sorted({segment.speaker or "?" for segment in entry.segments}))
        print(f"  [{entry.section}] {entry.sentence.text}  (from {speakers})")
    out = Path(args.out)
    write_transcript_file(out / "note.html", export_note(result.note, "html", transcript=result.transcript))
    write_transcript_file(out / "note.fhir.json", export_note(result.note, "fhir", date=result.job.completion_time))
    print(f"\nWrote {out / 'note.html'} and {out / 'note.fhir.json'} (mode 0600).")
    print("A generated note is a draft: a clinician must review it against the conversation before use.")


if __name__ == "__main__":
    main()
