"""The clinical note beside its transcript: one self-contained HTML page for the reviewer.

The note is on the left, section by section; the transcript on the right, one row per segment with
its time and speaker (participant role). Hovering or focusing a note sentence highlights the
transcript segments that are its evidence; clicking it pins the highlight and scrolls to the first
of them (``note.html#pin-N`` opens the page with the note's N-th sentence pinned). Hovering a segment
highlights the sentences that cite it. A sentence whose evidence is
not in the transcript says so. The seeds' review notice comes first.

The page loads nothing: CSS and the small script are inline, and a Content-Security-Policy allows
that one script (by its hash) and no request of any kind. Everything from the note and the
transcript is escaped.

Example:
    >>> from transcribe_medical.exports import write_transcript_file
    >>> from transcribe_medical.exports.note_html import note_to_html
    >>> write_transcript_file("note.html", note_to_html(note, transcript))   # doctest: +SKIP
"""

from __future__ import annotations

import base64
import hashlib
import html
from typing import Final

from transcribe_medical import __version__
from transcribe_medical._notice import IMPORTANT_NOTICE
from transcribe_medical.exports.note_markdown import note_heading, note_review_line
from transcribe_medical.exports.subtitles import format_timestamp
from transcribe_medical.models.transcript import Segment, Transcript
from transcribe_medical.scribe.note import ClinicalNote

__all__ = ["DEFAULT_NOTE_TITLE", "note_to_html"]

#: The page title when none is given.
DEFAULT_NOTE_TITLE: Final = "Clinical note"

_PALETTE = ("#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#00838f", "#6d4c41", "#ad1457", "#37474f")

_CSS = """
:root { color-scheme: light; --ink: #1d2329; --muted: #5f6b76; --line: #d9dee3; --paper: #fff;
  --hl: #fff3c4; --hl-edge: #e0a800; --pin: #ffe082; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f8; color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1400px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 1.5rem; margin: 0 0 2px; }
h2 { font-size: 1rem; margin: 0 0 10px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
h3 { font-size: 1.02rem; margin: 14px 0 6px; }
.meta { color: var(--muted); margin: 0 0 14px; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; }
.notice { border-left: 5px solid #b71c1c; background: #fff8f6; margin: 0 0 16px; }
.notice p { margin: 0 0 6px; }
.columns { display: grid; grid-template-columns: minmax(320px, 5fr) minmax(320px, 6fr); gap: 16px;
  align-items: start; }
.note, .transcript { max-height: calc(100vh - 60px); overflow: auto; position: sticky; top: 12px; }
.sentences { margin: 0; padding-left: 18px; }
.sentence { padding: 3px 6px; margin: 2px 0; border-radius: 5px; cursor: pointer; outline: none; }
.sentence:hover, .sentence:focus, .sentence.cited { background: var(--hl); }
.sentence.pinned { background: var(--pin); box-shadow: inset 3px 0 0 var(--hl-edge); }
.sentence .links { color: var(--muted); font-size: .78em; margin-left: 4px; white-space: nowrap; }
.sentence .missing { color: #b71c1c; }
.segments { list-style: none; margin: 0; padding: 0; }
.segment { display: grid; grid-template-columns: 150px 1fr; gap: 2px 12px; padding: 8px 10px;
  border-left: 5px solid var(--who, var(--line)); border-bottom: 1px solid #eef1f3; transition: background .15s; }
.segment.evidence { background: var(--hl); border-left-color: var(--hl-edge); }
.when { color: var(--muted); font: 12px/1.7 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.who { display: inline-block; margin-top: 2px; padding: 0 8px; border-radius: 10px; color: #fff;
  background: var(--who, #607d8b); font-size: 12px; font-weight: 600; }
.text { margin: 0; }
.empty { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: .85em; margin-top: 10px; }
@media (max-width: 860px) { .columns { grid-template-columns: 1fr; } .note, .transcript { position: static;
  max-height: none; } }
@media print { body { background: #fff; } .note, .transcript { max-height: none; position: static; } }
"""

# Sentences carry data-evidence="id id ..."; segments data-segment-id="id". Ids are compared as
# strings (never put into a CSS selector), so any id AWS uses works.
_SCRIPT = """
(function () {
  var sentences = Array.prototype.slice.call(document.querySelectorAll(".sentence"));
  var segments = Array.prototype.slice.call(document.querySelectorAll(".segment"));
  var byId = {};
  segments.forEach(function (s) {
    var id = s.getAttribute("data-segment-id");
    (byId[id] = byId[id] || []).push(s);
  });
  var pinned = null;
  function ids(sentence) { var v = sentence.getAttribute("data-evidence"); return v ? v.split(" ") : []; }
  function show(sentence) {
    segments.forEach(function (s) { s.classList.remove("evidence"); });
    if (!sentence) { return []; }
    var found = [];
    ids(sentence).forEach(function (id) {
      (byId[id] || []).forEach(function (s) { s.classList.add("evidence"); found.push(s); });
    });
    return found;
  }
  sentences.forEach(function (sentence) {
    sentence.addEventListener("mouseenter", function () { show(sentence); });
    sentence.addEventListener("focus", function () { show(sentence); });
    sentence.addEventListener("mouseleave", function () { show(pinned); });
    sentence.addEventListener("blur", function () { show(pinned); });
    sentence.addEventListener("click", function () {
      if (pinned) { pinned.classList.remove("pinned"); }
      pinned = pinned === sentence ? null : sentence;
      if (pinned) { pinned.classList.add("pinned"); }
      var found = show(pinned);
      // The least scrolling that shows the first evidence segment ("nearest": no jump if visible).
      if (found.length) { found[0].scrollIntoView({block: "nearest"}); }
    });
    sentence.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sentence.click(); }
    });
  });
  var linked = /^#pin-([0-9]+)$/.exec(window.location.hash);
  if (linked && sentences[+linked[1] - 1]) { sentences[+linked[1] - 1].click(); }
  segments.forEach(function (segment) {
    var id = segment.getAttribute("data-segment-id");
    segment.addEventListener("mouseenter", function () {
      sentences.forEach(function (s) { s.classList.toggle("cited", ids(s).indexOf(id) >= 0); });
    });
    segment.addEventListener("mouseleave", function () {
      sentences.forEach(function (s) { s.classList.remove("cited"); });
    });
  });
}());
"""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
# No request of any kind; the one inline script is allowed by its hash, nothing else runs.
_CSP = (
    f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _colours(transcript: Transcript | None) -> dict[str, str]:
    if transcript is None:
        return {}
    return {label: _PALETTE[index % len(_PALETTE)] for index, label in enumerate(transcript.speakers)}


def _sentence_html(number: int, text: str, evidence: tuple[str, ...], known: set[str] | None) -> str:
    missing = [i for i in evidence if known is not None and i not in known]
    links = ""
    if evidence:
        cited = len(evidence) - len(missing)
        label = f"{cited} segment{'s' if cited != 1 else ''}"
        if missing:
            label += f', <span class="missing">{len(missing)} not in the transcript</span>'
        links = f'<span class="links" title="{_e(", ".join(evidence))}">[{label}]</span>'
    else:
        links = '<span class="links missing">[no evidence]</span>'
    return (
        f'<li class="sentence" id="sentence-{number}" tabindex="0" data-evidence="{_e(" ".join(evidence))}">'
        f"{_e(text)} {links}</li>"
    )


def _note_html(note: ClinicalNote, known: set[str] | None) -> str:
    parts: list[str] = []
    number = 0
    for section in note.sections:
        parts.append(f'<section class="note-section" data-section="{_e(section.name)}"><h3>{_e(section.title)}</h3>')
        if section.sentences:
            parts.append('<ul class="sentences">')
            for sentence in section.sentences:
                number += 1  # numbered through the note: "note.html#pin-N" opens with sentence N pinned
                parts.append(_sentence_html(number, sentence.text, sentence.evidence, known))
            parts.append("</ul>")
        else:
            parts.append('<p class="empty">Nothing was summarized for this section.</p>')
        parts.append("</section>")
    return "".join(parts) or '<p class="empty">The note has no sections.</p>'


def _segment_html(segment: Segment, colours: dict[str, str]) -> str:
    colour = colours.get(segment.speaker or "")
    style = f' style="--who: {colour}"' if colour else ""
    who = f'<span class="who">{_e(segment.speaker)}</span>' if segment.speaker else ""
    when = f"{format_timestamp(segment.start, decimal='.')} \u2013 {format_timestamp(segment.end, decimal='.')}"
    return (
        f'<li class="segment" data-segment-id="{_e(segment.segment_id or "")}"{style}>'
        f'<div class="when">{_e(when)}<br>{who}</div><p class="text">{_e(segment.text)}</p></li>'
    )


def note_to_html(note: ClinicalNote, transcript: Transcript | None = None, *, title: str = DEFAULT_NOTE_TITLE) -> str:
    """Render the note beside its transcript as one self-contained HTML page.

    Args:
        note: The clinical note.
        transcript: The job's transcript (its segments keep their ``SegmentId``); without it the
            page shows the note alone.
        title: The page title.

    Returns:
        An HTML5 document with inline CSS and one inline script; it loads nothing.
    """
    known = {s.segment_id for s in transcript.segments if s.segment_id} if transcript is not None else None
    colours = _colours(transcript)
    source = note_heading(note)
    meta = _e(source) if source else "AWS HealthScribe"
    transcript_card = ""
    if transcript is not None:
        rows = "".join(_segment_html(segment, colours) for segment in transcript.segments)
        transcript_card = (
            '<section class="card transcript" aria-label="Transcript"><h2>Transcript</h2>'
            f'<ol class="segments">{rows or "<li class=empty>The transcript is empty.</li>"}</ol></section>'
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
        f'<h1>{_e(title)}</h1><p class="meta">{meta}</p>'
        '<section class="card notice" role="note" aria-label="Review notice">'
        f"<p><strong>Review before use.</strong> {_e(IMPORTANT_NOTICE)}</p><p>{_e(note_review_line(note))}</p>"
        "<p>Point at or click a sentence of the note to highlight the conversation it was drawn from.</p>"
        "</section>"
        f'<div class="columns"><section class="card note" aria-label="Clinical note"><h2>Note</h2>'
        f"{_note_html(note, known)}</section>{transcript_card}</div>"
        f"<footer>Made by transcribe-medical {_e(__version__)}.</footer>"
        f"</main><script>{_SCRIPT}</script></body></html>\n"
    )
