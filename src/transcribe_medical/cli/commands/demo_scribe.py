"""The HealthScribe part of ``transcribe-medical demo``: a clinical note from the bundled visit.

The bundled visit (``sample_visit.wav``: clinician on channel 0, patient on channel 1) is streamed
through the SDK's own ``client.scribe.streaming.transcribe`` to the HTTP/2 HealthScribe endpoint
of the emulator already running for the demo (StartMedicalScribeStream with channel definitions,
every event signed, segments arriving while the audio is sent, END_OF_SESSION at the end), then
the session's clinical note is fetched (GetMedicalScribeStream, then ``summary.json`` from S3).
The audio is sent as fast as the emulator takes it, not in real time. The note's sections and
sentences are printed (stdout), and the note beside its transcript is written as one
self-contained HTML page (mode 0600) whose path is printed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from transcribe_medical._client import TranscribeMedical
    from transcribe_medical.local import LocalTranscribeMedical

__all__ = ["SCRIBE_DEMO_BUCKET", "check_note_html", "default_note_path", "run_scribe_demo"]

#: The emulated bucket the visit is uploaded to (and its outputs written to).
SCRIBE_DEMO_BUCKET: Final = "transcribe-medical-demo-scribe"
_CHANNELS: Final = (
    {"channel_id": 0, "participant_role": "CLINICIAN"},
    {"channel_id": 1, "participant_role": "PATIENT"},
)


def _progress(message: str) -> None:
    sys.stderr.write(f"... {message}\n")
    sys.stderr.flush()


def default_note_path() -> Path:
    """A fresh private directory (0700) for the demo's HTML note, and the file's path in it."""
    return Path(tempfile.mkdtemp(prefix="transcribe-medical-demo-")) / "clinical-note.html"


def check_note_html(path: Path | None) -> None:
    """Refuse a ``--note-html`` path whose folder does not exist, before the demo runs.

    Raises:
        ValidationError: The folder is missing, or the path is a folder.
    """
    from transcribe_medical._exceptions import ValidationError

    if path is None:
        return
    if path.is_dir():
        raise ValidationError(
            f"--note-html {path}: is a folder; give a file path, e.g. {path / 'note.html'}", field="note_html"
        )
    if not path.parent.is_dir():
        raise ValidationError(f"--note-html {path}: the folder {path.parent} does not exist", field="note_html")


def run_scribe_demo(emulator: LocalTranscribeMedical, client: TranscribeMedical, note_html: Path | None) -> Path:
    """Stream the bundled visit to HealthScribe on ``emulator``; print the note; write the HTML.

    Args:
        emulator: The running emulator (its batch endpoint on: the note is written to its S3).
        client: An SDK client pointed at it.
        note_html: Where to write the HTML note (default: a new private temporary directory).

    Returns:
        The HTML file written.

    Raises:
        ValidationError: The HTML file cannot be written.
    """
    from transcribe_medical._exceptions import ValidationError
    from transcribe_medical.cli.output import printable
    from transcribe_medical.exports.files import write_transcript_file
    from transcribe_medical.exports.note_formats import export_note
    from transcribe_medical.local import sample_visit
    from transcribe_medical.scribe.streaming.config import ScribeStreamConfig
    from transcribe_medical.scribe.templates import section_title

    audio, _turns = sample_visit()
    endpoint = client.scribe.streaming.endpoint().url
    _progress(f"streaming the bundled two-person visit to AWS HealthScribe over HTTP/2 on {endpoint}")
    started = time.monotonic()
    bucket = emulator.create_bucket(SCRIBE_DEMO_BUCKET)
    config = ScribeStreamConfig(
        role_arn=f"arn:aws:iam::{emulator.scribe.account_id}:role/TranscribeMedicalDemo",
        output_bucket=bucket,
        note_template="HISTORY_AND_PHYSICAL",
        channel_definitions=list(_CHANNELS),
    )
    run = client.scribe.streaming.transcribe(audio, config, realtime=False)
    finals = sum(1 for event in run if not event.is_partial)
    _progress(f"{finals} segments arrived while the audio was sent; session ended, waiting for its clinical note")
    note = run.note(timeout=300, poll_interval=0.1)
    transcript = run.transcript
    seconds = time.monotonic() - started
    out = sys.stdout
    out.write(f"\n== HealthScribe clinical note, HISTORY_AND_PHYSICAL ({seconds:.1f} s)\n")
    out.write("(emulated: built locally by rules from the recognised conversation, not by AWS HealthScribe)\n")
    for section in note.sections:
        out.write(f"{section_title(section.name)}\n")
        for sentence in section.sentences:
            cited = len(sentence.evidence)
            out.write(f"  - {printable(sentence.text, one_line=True)}  [{cited} segment{'s' * (cited != 1)}]\n")
    missing = note.missing_evidence(transcript)
    roles = sorted({segment.speaker for segment in transcript.segments if segment.speaker})
    out.write(
        f"transcript: {len(transcript.segments)} segments, speakers {', '.join(roles)}; "
        f"evidence links that name no segment: {len(missing)}\n"
    )
    target = note_html or default_note_path()
    try:
        write_transcript_file(target, export_note(note, "html", transcript=transcript))
    except OSError as error:
        raise ValidationError(
            f"--note-html {target}: cannot be written ({error.strerror or error})", field="note_html"
        ) from None
    out.write(f"HTML note beside its transcript (hover a sentence to see its evidence): {target}\n")
    out.flush()
    return target
