"""A strict checker of the SRT and WebVTT files the exports produce."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 42
MAX_LINES_PER_SPEAKER = 2

_SRT_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d),(\d{3})"
_VTT_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_LABEL = re.compile(r"^((?:ch_\d+ )?spk_\d+|ch_\d+): ")
_VOICE_LINE = re.compile(r"<v ([^>]+)>(.*)</v>")


@dataclass
class Cue:
    start_ms: int
    end_ms: int
    lines: list[str]  # visible text, one entry per line
    voices: list[str | None]  # speaker/channel block of each line


def _ms(groups: tuple[str, ...]) -> int:
    hours, minutes, seconds, millis = (int(group) for group in groups)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def _check_cues(cues: list[Cue]) -> list[Cue]:
    previous_end = 0
    for index, cue in enumerate(cues):
        assert cue.start_ms < cue.end_ms, f"cue {index} has no duration"
        assert cue.start_ms >= previous_end, f"cue {index} overlaps or goes back in time"
        previous_end = cue.end_ms
        assert cue.lines, f"cue {index} has no text"
        blocks: dict[str | None, int] = {}
        for line, voice in zip(cue.lines, cue.voices, strict=True):
            assert line.strip(), f"cue {index} has a blank line"
            assert len(line) <= MAX_LINE, f"cue {index}: line of {len(line)} characters"
            blocks[voice] = blocks.get(voice, 0) + 1
        for voice, count in blocks.items():
            assert count <= MAX_LINES_PER_SPEAKER, f"cue {index}: {count} lines for {voice}"
    return cues


def parse_srt(text: str) -> list[Cue]:
    """Parse and check an SRT document: numbering, timing format, order, lines."""
    if text == "":
        return []
    assert text.endswith("\n") and not text.endswith("\n\n\n")
    cues: list[Cue] = []
    for number, block in enumerate(text.rstrip("\n").split("\n\n"), start=1):
        lines = block.split("\n")
        assert lines[0] == str(number), f"cue {number} is numbered {lines[0]!r}"
        match = re.fullmatch(f"{_SRT_TIME} --> {_SRT_TIME}", lines[1])
        assert match, f"bad SRT timing line {lines[1]!r}"
        voices: list[str | None] = []
        voice: str | None = None
        for line in lines[2:]:
            label = _SRT_LABEL.match(line)
            if label:
                voice = label.group(1)
            voices.append(voice)
        cues.append(Cue(_ms(match.groups()[:4]), _ms(match.groups()[4:]), lines[2:], voices))
    return _check_cues(cues)


def parse_vtt(text: str) -> list[Cue]:
    """Parse and check a WebVTT document: header, timing format, order, voice tags, escaping."""
    assert text.startswith("WEBVTT\n")
    assert text.endswith("\n")
    body = text[len("WEBVTT\n") :]
    if not body.strip():
        return []
    assert body.startswith("\n"), "the header must be followed by a blank line"
    cues: list[Cue] = []
    for block in body.strip("\n").split("\n\n"):
        lines = block.split("\n")
        match = re.fullmatch(f"{_VTT_TIME} --> {_VTT_TIME}", lines[0])
        assert match, f"bad VTT timing line {lines[0]!r}"
        visible: list[str] = []
        voices: list[str | None] = []
        for line in lines[1:]:
            voice_match = _VOICE_LINE.fullmatch(line)
            voice, content = (voice_match.group(1), voice_match.group(2)) if voice_match else (None, line)
            assert "-->" not in content
            assert "<" not in content and ">" not in content, f"unescaped markup in {line!r}"
            assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", content), f"bad entity in {line!r}"
            visible.append(content.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
            voices.append(voice)
        cues.append(Cue(_ms(match.groups()[:4]), _ms(match.groups()[4:]), visible, voices))
    return _check_cues(cues)
