"""The HTML review report: one self-contained page for a human reviewer (``--format html``).

The page shows the review notice, a summary (words, words flagged for review, their share), a
histogram of word confidences with the threshold (inline SVG), and the transcript itself: one row
per segment with its time and speaker or channel (a label and a colour), words below the threshold
highlighted with their confidence, and PHI entities marked. A table of the flagged words ends it.

The page loads nothing: the CSS is inline, there are no scripts, fonts or images, and a
Content-Security-Policy forbids any request, so it opens the same with or without a network and
leaks nothing when opened. Everything that comes from the transcript is escaped.

Example:
    >>> from transcribe_medical.exports import write_transcript_file
    >>> from transcribe_medical.exports.html import to_html
    >>> write_transcript_file("review.html", to_html(transcript, min_confidence=0.9))   # doctest: +SKIP
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from transcribe_medical import __version__
from transcribe_medical._exceptions import ValidationError
from transcribe_medical._notice import DEFAULT_REVIEW_THRESHOLD, IMPORTANT_NOTICE, REVIEW_NOTICE
from transcribe_medical.exports.subtitles import format_timestamp
from transcribe_medical.models.redaction import phi_content_pattern, phi_item_indices
from transcribe_medical.models.transcript import Entity, Item, Segment, Transcript

__all__ = ["DEFAULT_MIN_CONFIDENCE", "DEFAULT_TITLE", "HISTOGRAM_BINS", "ConfidenceHistogram", "to_html"]

#: The review threshold when none is given (the CLI's default too).
DEFAULT_MIN_CONFIDENCE: Final = DEFAULT_REVIEW_THRESHOLD
#: The page title when none is given.
DEFAULT_TITLE: Final = "Transcript review"
#: Number of equal-width confidence bins in the histogram (0-0.1, ..., 0.9-1.0).
HISTOGRAM_BINS: Final = 10

# Label colours, chosen to stay apart from each other, from the amber of low confidence and from
# the violet of PHI, and readable as text on white.
_PALETTE = ("#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#00838f", "#6d4c41", "#ad1457", "#37474f")

# No request of any kind: inline styles only, nothing else (not even a favicon lookup).
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

_CSS = """
:root { color-scheme: light; --ink: #1d2329; --muted: #5f6b76; --line: #d9dee3; --paper: #ffffff;
  --low: #ffd54f; --low-ink: #7a4f00; --phi: #6a1b9a; --phi-bg: #f3e5f5; --ok: #4db6ac; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f8; color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 1.55rem; margin: 0 0 2px; }
h2 { font-size: 1.05rem; margin: 0 0 10px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.meta { color: var(--muted); margin: 0 0 16px; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
  margin: 0 0 16px; }
.notice { border-left: 5px solid #b71c1c; background: #fff8f6; }
.notice p { margin: 0 0 6px; }
.notice details { color: var(--ink); font-size: .95em; }
.notice blockquote { margin: 6px 0 0; padding-left: 12px; border-left: 3px solid var(--line); }
.notice .source { color: var(--muted); font-size: .9em; margin: 4px 0 0; }
.overview { display: grid; grid-template-columns: minmax(240px, 1fr) 2fr; gap: 16px; margin: 0 0 16px; }
.overview .card { margin: 0; }
.summary dl { display: grid; grid-template-columns: 1fr auto; gap: 6px 16px; margin: 0; }
.summary dt { color: var(--muted); }
.summary dd { margin: 0; font-weight: 600; text-align: right; font-variant-numeric: tabular-nums; }
.summary dd.alert { color: #b71c1c; }
.histogram svg { width: 100%; height: auto; display: block; }
.histogram text { font: 12px system-ui, sans-serif; fill: var(--ink); }
.histogram .axis { stroke: #90a4ae; }
.histogram .above { fill: var(--ok); }
.histogram .below { fill: var(--low); stroke: #c79a00; }
.histogram .threshold { stroke: #b71c1c; stroke-width: 2; stroke-dasharray: 6 4; }
.histogram .threshold-label { fill: #b71c1c; font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; margin: 16px 0 0; }
.legend span.key { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; background: var(--who); }
.segments { list-style: none; margin: 0; padding: 0; }
.segment { display: grid; grid-template-columns: 212px 1fr; gap: 4px 14px; padding: 10px 12px;
  border-left: 5px solid var(--who, var(--line)); border-bottom: 1px solid #eef1f3; }
.segment:last-child { border-bottom: 0; }
.when { color: var(--muted); font: 12px/1.7 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.who { display: inline-block; margin-top: 2px; padding: 0 8px; border-radius: 10px; color: #fff;
  background: var(--who); font-size: 12.5px; font-weight: 600; }
.text { margin: 0; font-size: 1.04rem; }
.low { background: var(--low); color: var(--ink); border-radius: 3px; padding: 0 2px;
  text-decoration: underline wavy var(--low-ink); text-underline-offset: 3px; }
.low sub { color: var(--low-ink); font-size: .68em; font-weight: 600; margin-left: 2px; vertical-align: baseline; }
mark.phi { background: var(--phi-bg); color: var(--ink); border: 1.5px dashed var(--phi); border-radius: 4px;
  padding: 0 3px; }
mark.phi::after { content: "PHI"; color: var(--phi); font-size: .62em; font-weight: 700; margin-left: 4px;
  vertical-align: super; }
details { grid-column: 2; color: var(--muted); font-size: .92em; }
details ol { margin: 4px 0 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #eef1f3; }
th { color: var(--muted); font-weight: 600; }
footer { color: var(--muted); font-size: .85em; margin-top: 8px; }
.empty { color: var(--muted); font-style: italic; }
@media print { body { background: #fff; } .card { break-inside: avoid; } }
"""


_ALERT = ' class="alert"'


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _number(value: float) -> str:
    """A confidence or threshold, without hiding a difference at the threshold (0.849 stays 0.849)."""
    return f"{value:.4g}"


def _time(seconds: float | None) -> str:
    return "" if seconds is None else format_timestamp(seconds, decimal=".")


def _is_low(item: Item, min_confidence: float) -> bool:
    return item.type == "pronunciation" and item.confidence is not None and item.confidence < min_confidence


@dataclass(frozen=True)
class ConfidenceHistogram:
    """Word confidences counted in equal bins; the data behind the report's chart.

    Attributes:
        counts: Words per bin; bin ``i`` holds ``i/bins <= c < (i+1)/bins`` (the last includes 1.0).
        below: Of those, the words below the threshold.
        min_confidence: The threshold.
    """

    counts: tuple[int, ...]
    below: tuple[int, ...]
    min_confidence: float

    @classmethod
    def of(cls, transcript: Transcript, min_confidence: float, bins: int = HISTOGRAM_BINS) -> ConfidenceHistogram:
        """Count the confidences of the transcript's words (punctuation and unscored words left out).

        Args:
            transcript: The transcript.
            min_confidence: The review threshold.
            bins: The number of bins.

        Returns:
            The histogram.
        """
        counts, below = [0] * bins, [0] * bins
        for segment in transcript.segments:
            for item in segment.items:
                if item.type != "pronunciation" or item.confidence is None:
                    continue
                index = min(int(item.confidence * bins), bins - 1)
                counts[index] += 1
                below[index] += item.confidence < min_confidence
        return cls(tuple(counts), tuple(below), min_confidence)

    @property
    def total(self) -> int:
        """The number of words counted."""
        return sum(self.counts)


def _histogram_svg(histogram: ConfidenceHistogram) -> str:
    bins = len(histogram.counts)
    width, height = 640, 250
    left, right, top, bottom = 40, 16, 44, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(histogram.counts, default=0) or 1
    slot = plot_w / bins
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-labelledby="histogram-title histogram-desc">',
        '<title id="histogram-title">Word confidence histogram</title>',
        f'<desc id="histogram-desc">{histogram.total} words in {bins} confidence bins; '
        f"the dashed line is the review threshold {_number(histogram.min_confidence)}.</desc>",
    ]
    for index, (count, below) in enumerate(zip(histogram.counts, histogram.below, strict=True)):
        low_edge, high_edge = index / bins, (index + 1) / bins
        x = left + index * slot + 3
        bar_w = slot - 6
        total_h = count / peak * plot_h
        below_h = below / peak * plot_h
        base = top + plot_h
        label = f"{low_edge:.1f}\u2013{high_edge:.1f}: {count} words, {below} below the threshold"
        parts.append(
            f'<g class="bin" data-range="{low_edge:.1f}-{high_edge:.1f}" data-count="{count}" data-below="{below}">'
            f"<title>{_e(label)}</title>"
        )
        if count - below:
            parts.append(
                f'<rect class="above" x="{x:.1f}" y="{base - total_h:.1f}" width="{bar_w:.1f}" '
                f'height="{total_h - below_h:.1f}" rx="2"/>'
            )
        if below:
            parts.append(
                f'<rect class="below" x="{x:.1f}" y="{base - below_h:.1f}" width="{bar_w:.1f}" '
                f'height="{below_h:.1f}" rx="2"/>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{base - total_h - 5:.1f}" text-anchor="middle">{count}</text></g>'
        )
    axis_y = top + plot_h
    parts.append(f'<line class="axis" x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}"/>')
    for index in range(bins + 1):
        x = left + index * slot
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle">{index / bins:.1f}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">confidence</text>')
    threshold_x = left + histogram.min_confidence * plot_w
    anchor = "end" if histogram.min_confidence > 0.5 else "start"
    offset = -6 if anchor == "end" else 6
    parts.append(
        f'<line class="threshold" x1="{threshold_x:.1f}" y1="{top - 30}" x2="{threshold_x:.1f}" y2="{axis_y}"/>'
        f'<text class="threshold-label" x="{threshold_x + offset:.1f}" y="{top - 30}" text-anchor="{anchor}">'
        f"review threshold {_number(histogram.min_confidence)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


class _Labels:
    """The colour index of each speaker or channel label."""

    def __init__(self, transcript: Transcript) -> None:
        self.order = transcript.speakers or transcript.channels
        self.by_speaker = bool(transcript.speakers)

    def key(self, segment: Segment) -> str | None:
        return segment.speaker if self.by_speaker else segment.channel

    def style(self, label: str | None) -> str:
        if label is None or label not in self.order:
            return ""
        return f' style="--who: {_PALETTE[self.order.index(label) % len(_PALETTE)]}"'


def _words_html(items: Sequence[Item], phi: set[int], min_confidence: float) -> str:
    parts: list[str] = []
    in_phi = False
    for index, item in enumerate(items):
        is_word = item.type == "pronunciation"
        if in_phi and not (is_word and index in phi):
            parts.append("</mark>")
            in_phi = False
        if parts and is_word:
            parts.append(" ")
        if is_word and index in phi and not in_phi:
            parts.append('<mark class="phi" title="PHI entity">')
            in_phi = True
        content = _e(" ".join(item.content.split()))
        if _is_low(item, min_confidence) and item.confidence is not None:
            confidence = _number(item.confidence)
            start = f" at {_time(item.start)}" if item.start is not None else ""
            parts.append(
                f'<span class="low" data-confidence="{confidence}" '
                f'title="confidence {confidence}{start}, below {_number(min_confidence)}">'
                f"{content}<sub>{confidence}</sub></span>"
            )
        else:
            parts.append(content)
    if in_phi:
        parts.append("</mark>")
    return "".join(parts)


def _text_html(text: str, entities: Iterable[Entity]) -> str:
    """A segment's text when it has no items: PHI marked by content."""
    pattern = phi_content_pattern(entities)
    if pattern is None:
        return _e(text)
    parts: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        parts.append(_e(text[position : match.start()]))
        parts.append(f'<mark class="phi" title="PHI entity">{_e(match.group(0))}</mark>')
        position = match.end()
    parts.append(_e(text[position:]))
    return "".join(parts)


def _segment_html(segment: Segment, labels: _Labels, entities: Sequence[Entity], min_confidence: float) -> str:
    key = labels.key(segment)
    shown = " \u00b7 ".join(label for label in (segment.channel, segment.speaker) if label)
    who = f'<span class="who">{_e(shown)}</span>' if shown else ""
    if segment.items:
        body = _words_html(segment.items, phi_item_indices(segment.items, entities), min_confidence)
    else:
        body = _text_html(segment.text, entities)
    alternatives = ""
    if segment.alternatives:
        rows = "".join(f"<li>{_e(alternative.text)}</li>" for alternative in segment.alternatives)
        alternatives = f"<details><summary>{len(segment.alternatives)} alternatives</summary><ol>{rows}</ol></details>"
    return (
        f'<li class="segment"{labels.style(key)} data-speaker="{_e(segment.speaker or "")}" '
        f'data-channel="{_e(segment.channel or "")}">'
        f'<div><div class="when">{_time(segment.start)} \u2013 {_time(segment.end)}</div>{who}</div>'
        f'<p class="text">{body}</p>{alternatives}</li>'
    )


def _hypotheses_html(transcript: Transcript) -> str:
    """AWS's alternative hypotheses of a batch job, per AWS segment, as AWS wrote them."""
    if not transcript.alternative_segments:
        return ""
    rows: list[str] = []
    for segment in transcript.alternative_segments:
        shown = " \u00b7 ".join(label for label in (segment.channel, segment.speaker) if label)
        who = f' <span class="who">{_e(shown)}</span>' if shown else ""
        hypotheses = "".join(f"<li>{_e(alternative.text)}</li>" for alternative in segment.alternatives)
        rows.append(
            f'<li class="segment"><div><div class="when">{_time(segment.start)} \u2013 {_time(segment.end)}</div>'
            f"{who}</div><details><summary>{len(segment.alternatives)} hypotheses, best first</summary>"
            f"<ol>{hypotheses}</ol></details></li>"
        )
    return (
        '<section class="card hypotheses"><h2>Alternative hypotheses</h2>'
        "<p>The service's own alternatives, for each stretch of speech it chose.</p>"
        f'<ol class="segments">{"".join(rows)}</ol></section>\n'
    )


def _legend_html(labels: _Labels, min_confidence: float) -> str:
    keys = [
        f'<span class="key"><span class="swatch"{labels.style(label)}></span>{_e(label)}</span>'
        for label in labels.order
    ]
    keys.append(
        f'<span class="key"><span class="low">word<sub>0.6</sub></span> confidence below '
        f"{_number(min_confidence)}</span>"
    )
    keys.append('<span class="key"><mark class="phi">name</mark> PHI entity</span>')
    return f'<div class="legend">{"".join(keys)}</div>'


def _summary_html(transcript: Transcript, histogram: ConfidenceHistogram, flagged: int, min_confidence: float) -> str:
    words = sum(item.type == "pronunciation" for segment in transcript.segments for item in segment.items)
    share = f"{flagged / histogram.total:.1%}" if histogram.total else "\u2013"
    rows = [("Words", str(words))]
    if histogram.total != words:
        rows.append(("Words with a confidence", str(histogram.total)))
    rows += [
        ("Flagged for review", str(flagged)),
        ("Flagged share", share),
        ("Review threshold", _number(min_confidence)),
        ("Segments", str(len(transcript.segments))),
        ("PHI entities", str(len(transcript.phi_entities))),
        ("Duration", _time(transcript.duration)),
    ]
    alert = {"Flagged for review", "Flagged share"} if flagged else set()
    body = "".join(f"<dt>{_e(name)}</dt><dd{_ALERT if name in alert else ''}>{_e(value)}</dd>" for name, value in rows)
    return f'<section class="card summary"><h2>Summary</h2><dl>{body}</dl></section>'


def _flags_html(transcript: Transcript, min_confidence: float) -> str:
    flags = transcript.review(min_confidence)
    if not flags:
        return (
            '<section class="card flagged"><h2>Flagged words</h2>'
            f'<p class="empty">No word is below the threshold {_number(min_confidence)}.</p></section>'
        )
    rows = "".join(
        f"<tr><td>{_time(flag.start)}</td><td>{_e(' '.join(x for x in (flag.channel, flag.speaker) if x))}</td>"
        f"<td>{_e(flag.content)}</td><td>{_number(flag.confidence)}</td></tr>"
        for flag in flags
    )
    return (
        '<section class="card flagged"><h2>Flagged words</h2><table>'
        "<thead><tr><th>Time</th><th>Speaker / channel</th><th>Word</th><th>Confidence</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _flagged_sentence(histogram: ConfidenceHistogram) -> str:
    threshold = _number(histogram.min_confidence)
    flagged = sum(histogram.below)
    if not histogram.total:
        return f"This transcript has no word confidences to compare with the review threshold {threshold}."
    if not flagged:
        return f"No word is below the review threshold {threshold}."
    words = "word is" if flagged == 1 else "words are"
    return (
        f"On this page {flagged} of {histogram.total} {words} below the review threshold {threshold} and highlighted."
    )


def _meta(transcript: Transcript) -> str:
    parts: list[str] = []
    if transcript.source == "batch":
        parts.append(f"Batch job {transcript.job_name}" if transcript.job_name else "Batch job")
    elif transcript.source == "streaming":
        parts.append(f"Streaming session {transcript.session_id}" if transcript.session_id else "Streaming session")
    parts.append(f"{transcript.duration:.2f} s")
    if transcript.speakers:
        parts.append(f"{len(transcript.speakers)} speakers")
    if transcript.channels:
        parts.append(f"{len(transcript.channels)} channels")
    return " \u00b7 ".join(parts)


def to_html(
    transcript: Transcript, *, min_confidence: float = DEFAULT_MIN_CONFIDENCE, title: str = DEFAULT_TITLE
) -> str:
    """Render a transcript as a self-contained HTML review page.

    Args:
        transcript: The transcript (redact it first with :meth:`Transcript.redact_phi` to share it).
        min_confidence: Words below this confidence (0..1) are highlighted and listed for review.
            Punctuation is never flagged.
        title: The page title.

    Returns:
        The page: one HTML5 document with inline CSS and SVG, no scripts, no external resources.

    Raises:
        ValidationError: ``min_confidence`` is not within 0..1.

    Example:
        >>> page = to_html(transcript, min_confidence=0.9, title="Visit 0412")   # doctest: +SKIP
    """
    if not 0.0 <= min_confidence <= 1.0:
        raise ValidationError(
            f"min_confidence: {min_confidence!r} is invalid: must be between 0 and 1", field="min_confidence"
        )
    histogram = ConfidenceHistogram.of(transcript, min_confidence)
    flagged = sum(histogram.below)
    labels = _Labels(transcript)
    entities = transcript.phi_entities
    segments = "".join(_segment_html(segment, labels, entities, min_confidence) for segment in transcript.segments)
    if not segments:
        segments = '<li class="empty">This transcript is empty.</li>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f'<header><h1>{_e(title)}</h1><p class="meta">{_e(_meta(transcript))}</p></header>\n'
        '<section class="card notice" role="note" aria-label="Review notice">'
        f"<p><strong>{_e(REVIEW_NOTICE)}</strong></p>"
        f"<p>{_e(_flagged_sentence(histogram))}</p>"
        "<details><summary>The notice in full</summary>"
        f"<blockquote><p>{_e(IMPORTANT_NOTICE)}</p></blockquote>"
        '<p class="source">\u2014 AWS, <cite>What Is Amazon Transcribe Medical?</cite></p></details></section>\n'
        '<div class="overview">'
        f"{_summary_html(transcript, histogram, flagged, min_confidence)}"
        f'<section class="card histogram"><h2>Word confidence</h2>{_histogram_svg(histogram)}</section>'
        "</div>\n"
        f'<section class="card transcript"><h2>Transcript</h2>{_legend_html(labels, min_confidence)}'
        f'<ol class="segments">{segments}</ol></section>\n'
        f"{_hypotheses_html(transcript)}"
        f"{_flags_html(transcript, min_confidence)}\n"
        f"<footer>Generated by transcribe-medical {_e(__version__)}. This page contains the transcript: "
        "handle it as protected health information.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )
