"""End to end: ``--debug --log-file`` runs of the CLI leak no secret and no transcript word.

DESIGN.md's security rules, checked on the real thing: the CLI runs (in-process through
``transcribe_medical.cli.main`` and as a separate ``python -m transcribe_medical.cli`` process)
against the local emulator with temporary credentials (a session token), streaming a fixture WAV
and transcribing it with a batch job, and once with a wrong secret so that the handshake is
refused (403) and ``--debug`` prints a traceback. Neither stderr nor the log file may contain the
secret key, the session token, a signature, a credential scope, a presigned query string or any
distinctive word of the transcript, while the log file does hold the debug records.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from transcribe_medical.cli import main
from transcribe_medical.local import EmulatorCredentials, LocalTranscribeMedical, ScriptedRecognizer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
WAV = FIXTURES / "mono_16k.wav"
REGION = "us-east-1"
#: What the scripted recognizer "hears": the reference text, with a patient's name in it.
REFERENCE = (
    "Mister Quillingsworth is a fifty two year old male presenting with chest pain radiating to the "
    "left arm. He reports shortness of breath and nausea. We will start aspirin and order an "
    "electrocardiogram."
)
#: The reference's distinctive words: none of them may appear in stderr or the log.
TRANSCRIPT_WORDS = sorted({w.lower().strip(".,") for w in REFERENCE.split() if len(w.strip(".,")) >= 6})

CREDENTIALS = EmulatorCredentials(
    access_key_id="AKIDSECURITYTEST0001",
    secret_access_key="sec/Test+Secret/Key0000000000000000EXAMPLE",
    session_token="FwoGZXIvYXdzEJr//////////wEaDSessionTokenForTests0000/ABCDEFGHIJ+klmnop==",
)
WRONG_SECRET = "wrong/Secret+Key1111111111111111111EXAMPLE"

_HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", re.I)
_UNREDACTED = re.compile(r"X-Amz-(?:Signature|Credential|Security-Token)(?:=|%3D)(?!\*\*\*)", re.I)
_QUERY = re.compile(r"wss?://[^\s?\"']+\?(?!\*\*\*)")


@dataclass
class Run:
    """One CLI run: its exit code, stdout, stderr and the text of its log file."""

    code: int
    out: str
    err: str
    log: str
    log_mode: int


Runner = Callable[..., Run]


@pytest.fixture(scope="module")
def emulator() -> Iterator[LocalTranscribeMedical]:
    """The emulator (streaming + batch), accepting only :data:`CREDENTIALS` with their token."""
    with LocalTranscribeMedical(credentials=CREDENTIALS, recognizer=ScriptedRecognizer(REFERENCE)) as emu:
        yield emu


@pytest.fixture
def bucket(emulator: LocalTranscribeMedical) -> str:
    return emulator.create_bucket()


@pytest.fixture(autouse=True)
def temporary_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.as_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", REGION)


@pytest.fixture(params=["in-process", "subprocess"])
def run_cli(request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run ``transcribe-medical --debug ARGS --log-file F`` one way or the other."""

    def run(*args: str, env: dict[str, str] | None = None) -> Run:
        log_file = tmp_path / "debug.log"
        argv = ["--debug", *args, "--log-file", str(log_file)]
        if request.param == "in-process":
            saved = dict(os.environ)
            os.environ.update(env or {})
            try:
                code = main(argv)
            finally:
                os.environ.clear()
                os.environ.update(saved)
            out, err = capsys.readouterr()
        else:
            done = subprocess.run(
                [sys.executable, "-m", "transcribe_medical.cli", *argv],
                env={**os.environ, **(env or {})},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            code, out, err = done.returncode, done.stdout, done.stderr
        return Run(code, out, err, log_file.read_text(encoding="utf-8"), stat.S_IMODE(log_file.stat().st_mode))

    return run


def assert_no_secrets(text: str, *, extra: tuple[str, ...] = ()) -> None:
    """No credential, signature, credential scope, presigned query or transcript word in ``text``."""
    secrets = (CREDENTIALS.secret_access_key, WRONG_SECRET, CREDENTIALS.session_token or "", *extra)
    for secret in secrets:
        assert secret not in text
        assert quote(secret, safe="") not in text
    key = CREDENTIALS.access_key_id
    assert f"{key}/" not in text and f"{key}%2F" not in text
    assert f"/{REGION}/transcribe/aws4_request" not in text
    assert f"%2F{REGION}%2Ftranscribe%2Faws4_request" not in text
    assert not _HEX64.search(text), "a signature-like 64-hex run"
    assert not _UNREDACTED.search(text), "an X-Amz-Signature/Credential/Security-Token value"
    assert not _QUERY.search(text), "a presigned query string"
    lowered = text.lower()
    leaked = [word for word in TRANSCRIPT_WORDS if word in lowered]
    assert not leaked, f"transcript words in the output: {leaked}"


def assert_log_file_is_private_and_useful(run: Run, *expected: str) -> None:
    assert run.log_mode == 0o600
    assert " DEBUG transcribe_medical." in run.log
    for piece in expected:
        assert piece in run.log


def test_stream_with_debug_and_log_file_leaks_nothing(
    emulator: LocalTranscribeMedical, run_cli: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed: list[str] = []
    from transcribe_medical.streaming import client as streaming_client

    real_presign = streaming_client.presign_url

    def spy(*args: Any, **kwargs: Any) -> str:
        url = real_presign(*args, **kwargs)
        signed.append(url)
        return url

    monkeypatch.setattr(streaming_client, "presign_url", spy)
    run = run_cli("stream", str(WAV), "--endpoint-url", emulator.streaming_endpoint, "--no-realtime")

    assert run.code == 0, run.err
    assert "Quillingsworth" in run.out and "electrocardiogram" in run.out  # the transcript is on stdout
    urls_and_queries = tuple(piece for url in signed for piece in (url, url.split("?", 1)[1]))
    for text in (run.err, run.log):
        assert_no_secrets(text, extra=urls_and_queries)
    assert_log_file_is_private_and_useful(run, "opening a stream to 127.0.0.1", "audio bytes sent")


def test_batch_transcribe_with_debug_and_log_file_leaks_nothing(
    emulator: LocalTranscribeMedical, bucket: str, run_cli: Runner
) -> None:
    run = run_cli(
        "transcribe", str(WAV), "--bucket", bucket, "--endpoint-url", emulator.endpoint_url, "--poll-interval", "0.2"
    )

    assert run.code == 0, run.err
    assert "Quillingsworth" in run.out
    for text in (run.err, run.log):
        assert_no_secrets(text)
    assert_log_file_is_private_and_useful(run, "calling transcribe.start_medical_transcription_job")


def test_a_refused_handshake_prints_a_redacted_traceback(emulator: LocalTranscribeMedical, run_cli: Runner) -> None:
    run = run_cli(
        "stream",
        str(WAV),
        "--endpoint-url",
        emulator.streaming_endpoint,
        "--no-realtime",
        env={"AWS_SECRET_ACCESS_KEY": WRONG_SECRET},
    )

    assert run.code == 4, run.err
    assert "Traceback (most recent call last)" in run.err
    assert "CredentialsError" in run.log and "Traceback (most recent call last)" in run.log
    for text in (run.err, run.log):
        assert_no_secrets(text)
    assert_log_file_is_private_and_useful(run, "HTTP 403")


def test_exception_messages_quoting_a_presigned_url_are_redacted_in_the_traceback(
    emulator: LocalTranscribeMedical,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A library deep down may quote the URL it was given in its exception (websockets' InvalidURI
    # does); --debug prints the whole chain, which must go through the redaction filter too.
    quoted: list[str] = []

    def connect(url: str, **options: Any) -> Any:
        quoted.append(url)
        raise RuntimeError(f"cannot open {url} (token {CREDENTIALS.session_token})")

    monkeypatch.setattr("websockets.sync.client.connect", connect)
    log_file = tmp_path / "debug.log"
    code = main(
        [
            "stream",
            str(WAV),
            "--endpoint-url",
            emulator.streaming_endpoint,
            "--no-realtime",
            "--debug",
            "--log-file",
            str(log_file),
        ]
    )
    err = capsys.readouterr().err
    log = log_file.read_text(encoding="utf-8")

    assert code == 1
    assert quoted and "X-Amz-Signature=" in quoted[0]
    assert "RuntimeError: cannot open ws://127.0.0.1" in err and "RuntimeError: cannot open" in log
    for text in (err, log):
        assert_no_secrets(text, extra=(quoted[0], quoted[0].split("?", 1)[1]))
