"""``stream`` and ``mic`` against a hostile peer (issue 16, part 10): what the user sees.

Finals received before a failure are written (``-o``) or printed, the failure is one line on
stderr saying so, and the exit code is the failure's; no control byte the server chose reaches
stderr, stdout or a transcript file in a text format; a redirect is one line.
"""

from __future__ import annotations

import json
import logging
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.fake_sounddevice import fake_sounddevice
from streaming.hostile_server import ESCAPE, SERVER_LOGGER, HostileServer
from transcribe_medical.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "mono_16k.wav"
FINALS = ["final 1", "final 2", "final 3"]
#: Bytes a terminal obeys: ESC, BEL, and C1 CSI in both its raw and its UTF-8 form.
CONTROL_BYTES = (b"\x1b", b"\x07", b"\x9b", "\x9b".encode())


@pytest.fixture(autouse=True)
def quiet_server() -> Iterator[None]:
    # The peer logs its own view of the connection; that is not the CLI's output.
    logger = logging.getLogger(SERVER_LOGGER)
    logger.disabled = True
    yield
    logger.disabled = False


def run_cli(argv: list[str]) -> int:
    """Run the CLI in a thread so that a hang fails the test instead of the whole run."""
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(main(argv)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), f"the CLI hung: {argv}"
    return result[0]


def stream(server: HostileServer, *args: str) -> int:
    return run_cli(["stream", str(SAMPLE), "--endpoint-url", server.url, "--no-realtime", *args])


def one_line(err: str) -> str:
    assert err.count("\n") == 1, err
    assert "Traceback" not in err and "unexpected error" not in err
    return err


def has_finals(text: str) -> None:
    """The three finals, in order (the text format joins a dictation's results in one paragraph)."""
    assert " ".join(FINALS) in " ".join(text.split()), text


def no_control_bytes(text: str | bytes) -> None:
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
    for control in CONTROL_BYTES:
        assert control not in data, (control, data[:300])


# --- finals before a failure are kept -------------------------------------------------------------


def test_finals_before_a_drop_are_written_to_the_output_file_with_exit_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "dictation.txt"
    with HostileServer("finals-then-drop") as server:
        code = stream(server, "--no-reconnect", "-o", str(output))
    captured = capsys.readouterr()
    assert code == 5, captured.err
    has_finals(output.read_text())
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    err = one_line(captured.err)
    assert "connection was lost" in err and f"the 3 final results received before it were written to {output}" in err
    assert captured.out == ""


def test_finals_before_a_drop_are_printed_on_stdout_with_exit_5(capsys: pytest.CaptureFixture[str]) -> None:
    with HostileServer("finals-then-drop") as server:
        code = stream(server, "--no-reconnect")
    captured = capsys.readouterr()
    assert code == 5, captured.err
    has_finals(captured.out)
    assert "the 3 final results received before it were printed on stdout" in one_line(captured.err)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "srt", "vtt"])
def test_finals_before_a_drop_keep_the_chosen_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    output = tmp_path / f"dictation.{fmt}"
    with HostileServer("finals-then-drop") as server:
        code = stream(server, "--no-reconnect", "--format", fmt, "-o", str(output))
    assert code == 5, capsys.readouterr().err
    text = output.read_text()
    if fmt == "json":
        assert [segment["text"] for segment in json.loads(text)["segments"]] == FINALS
    elif fmt == "jsonl":
        assert [json.loads(line)["text"] for line in text.splitlines()] == FINALS
    else:
        assert all(final in text for final in FINALS)


def test_finals_before_a_drop_survive_a_refused_reconnect(capsys: pytest.CaptureFixture[str]) -> None:
    # Reconnecting (the default): the peer refuses the new upgrade with 403, so the stream ends
    # with a credentials refusal (exit 4), and the finals of the first connection still show.
    with HostileServer("finals-then-drop") as server:
        code = stream(server)
    captured = capsys.readouterr()
    assert code == 4, captured.err
    has_finals(captured.out)
    assert "the 3 final results received before it were printed on stdout" in captured.err.splitlines()[-1]


def test_finals_before_a_service_exception_are_kept_with_its_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "dictation.txt"
    with HostileServer("finals-then-exception") as server:
        code = stream(server, "-o", str(output))
    captured = capsys.readouterr()
    assert code == 3, captured.err
    has_finals(output.read_text())
    err = one_line(captured.err)
    assert err.startswith("transcribe-medical: BadRequestException: the stream was refused; the 3 final results")


def test_finals_that_cannot_be_written_are_said_so_and_the_exit_is_the_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "no-such-folder" / "dictation.txt"
    with HostileServer("finals-then-drop") as server:
        code = stream(server, "--no-reconnect", "-o", str(output))
    captured = capsys.readouterr()
    assert code == 5, captured.err
    err = one_line(captured.err)
    assert "the 3 final results received before it could not be saved" in err and "cannot be written" in err


def test_mic_keeps_the_finals_before_a_drop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice())
    output = tmp_path / "dictation.txt"
    with HostileServer("finals-then-drop") as server:
        code = run_cli(["mic", "--max-seconds", "5", "--no-reconnect", "--endpoint-url", server.url, "-o", str(output)])
    captured = capsys.readouterr()
    assert code == 5, captured.err
    has_finals(output.read_text())
    assert f"were written to {output}" in one_line(captured.err)


# --- server-controlled text never drives the terminal --------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_escape_sequences_in_an_exception_never_reach_stderr(capsys: pytest.CaptureFixture[str], debug: bool) -> None:
    with HostileServer("escape-exception") as server:
        code = stream(server, *(["--debug"] if debug else []))
    captured = capsys.readouterr()
    assert code == 3, captured.err
    no_control_bytes(captured.err)
    no_control_bytes(captured.out)
    last = captured.err.splitlines()[-1] if debug else one_line(captured.err)
    # The words stay; only the control characters go.
    assert "BadRequestException[2J[H]0;pwned31m: refused[2J[H]0;pwned31mhere" in last


def test_escape_sequences_in_transcript_text_never_reach_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    with HostileServer("escape-transcript") as server:
        code = stream(server)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    no_control_bytes(captured.out)
    no_control_bytes(captured.err)
    assert "hello[2J[H]0;pwned31mworld" in captured.out


@pytest.mark.parametrize("fmt", ["text", "srt", "vtt"])
def test_text_formats_in_a_file_keep_the_words_without_controls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    output = tmp_path / f"t.{fmt}"
    with HostileServer("escape-transcript") as server:
        code = stream(server, "--format", fmt, "-o", str(output))
    assert code == 0, capsys.readouterr().err
    data = output.read_bytes()
    no_control_bytes(data)
    assert b"hello[2J[H]0;pwned31mworld" in data


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_keeps_the_text_as_received_with_every_control_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    output = tmp_path / f"t.{fmt}"
    with HostileServer("escape-transcript") as server:
        code = stream(server, "--format", fmt, "-o", str(output))
    assert code == 0, capsys.readouterr().err
    data = output.read_bytes()
    no_control_bytes(data)
    first = json.loads(data) if fmt == "json" else json.loads(data.splitlines()[0])
    segment = first["segments"][0] if fmt == "json" else first
    assert segment["text"] == f"hello{ESCAPE}world"


# --- redirects -----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["another port", "ws://0.0.0.0"])
def test_a_redirect_is_refused_in_one_line(capsys: pytest.CaptureFixture[str], target: str) -> None:
    redirect_to = "ws://0.0.0.0:9/medical-stream-transcription-websocket" if target == "ws://0.0.0.0" else None
    with HostileServer("redirect", redirect_to=redirect_to) as server:
        code = stream(server)
        hits = server.redirect_hits
    captured = capsys.readouterr()
    assert code == 5, captured.err
    assert "redirect" in one_line(captured.err)
    assert hits == 0
    assert captured.out == ""


# --- other failures after finals: a corrupt frame (ProtocolError), a stall (TimeoutError) ---------


class _FinalsThen:
    """A peer that sends three finals, then a frame with a bad CRC (``corrupt``) or nothing (``stall``)."""

    def __init__(self, then: str) -> None:
        from websockets.sync.server import serve

        self.then = then
        self.release = threading.Event()
        self._server = serve(self._handle, "127.0.0.1", 0, compression=None, max_size=2**20)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> _FinalsThen:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._thread.join()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}"

    def _handle(self, websocket: Any) -> None:
        from streaming.hostile_server import transcript_frame

        try:
            for number, final in enumerate(FINALS):
                websocket.recv()  # one audio frame per final
                websocket.send(transcript_frame(final, partial=False, start=float(number)))
            if self.then == "corrupt":
                frame = bytearray(transcript_frame("never shown", partial=False, start=9.0))
                frame[-1] ^= 0xFF
                websocket.send(bytes(frame))
                self.release.wait()
            else:  # stall: keep reading, never answer
                for _ in websocket:
                    pass
        except Exception:  # the client left
            return


@pytest.fixture
def short_read_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's own client, with a read timeout of a fraction of a second."""
    from transcribe_medical import ClientConfig, RetryPolicy, TranscribeMedical
    from transcribe_medical.cli.commands import stream as stream_command

    def client(region: str | None, profile: str | None, endpoint_url: str | None) -> TranscribeMedical:
        config = ClientConfig(read_timeout=0.5, retry=RetryPolicy(max_attempts=1))
        return TranscribeMedical(region_name=region, streaming_endpoint_url=endpoint_url, config=config)

    monkeypatch.setattr(stream_command, "_client", client)


@pytest.mark.parametrize("then", ["corrupt", "stall"])
@pytest.mark.usefixtures("short_read_timeout")
def test_finals_before_a_corrupt_frame_or_a_stall_are_kept_with_exit_5(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], then: str
) -> None:
    output = tmp_path / "dictation.txt"
    with _FinalsThen(then) as server:
        code = run_cli(["stream", str(SAMPLE), "--endpoint-url", server.url, "--no-reconnect", "-o", str(output)])
    captured = capsys.readouterr()
    assert code == 5, captured.err
    has_finals(output.read_text())
    assert "never shown" not in output.read_text()
    err = one_line(captured.err)
    assert ("CRC mismatch" if then == "corrupt" else "did not answer") in err  # ProtocolError / TimeoutError
    assert f"the 3 final results received before it were written to {output}" in err


def test_finals_before_ctrl_c_are_kept_with_exit_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from transcribe_medical.cli.commands import stream as stream_command
    from transcribe_medical.cli.live_display import LiveDisplay

    class InterruptAfterTheThirdFinal(LiveDisplay):
        finals: list[str] = []

        def show(self, event: Any) -> None:
            self.finals.extend(result.transcript for result in event.results if not result.is_partial)
            if len(self.finals) == len(FINALS):
                raise KeyboardInterrupt  # as a second Ctrl-C does, between two events

    monkeypatch.setattr(
        stream_command, "_display", lambda *args: InterruptAfterTheThirdFinal(partials=False, finals_to_stdout=False)
    )
    output = tmp_path / "dictation.txt"
    with _FinalsThen("stall") as server:
        # In this thread: KeyboardInterrupt must reach main() as it does from a terminal.
        code = main(["stream", str(SAMPLE), "--endpoint-url", server.url, "--no-reconnect", "-o", str(output)])
    captured = capsys.readouterr()
    assert code == 130, captured.err
    has_finals(output.read_text())
    assert one_line(captured.err) == (
        f"transcribe-medical: interrupted; the 3 final results received before it were written to {output}\n"
    )
