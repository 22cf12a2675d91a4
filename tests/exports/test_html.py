"""Tests of the HTML review page: well-formed, self-contained, flags and PHI exactly, escaped."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transcribe_medical._exceptions import ValidationError
from transcribe_medical._notice import IMPORTANT_NOTICE, REVIEW_NOTICE
from transcribe_medical.exports import export, to_html
from transcribe_medical.exports.html import DEFAULT_MIN_CONFIDENCE, ConfidenceHistogram
from transcribe_medical.models.batch_output import parse_batch_output
from transcribe_medical.models.events import TranscriptEvent
from transcribe_medical.models.transcript import Alternative, Entity, Item, Segment, Transcript

from .strategies import transcripts

VECTORS = Path(__file__).parents[1] / "vectors"
GOLDEN = sorted((VECTORS / "batch_outputs").glob("*.json"))
VOID = {"meta", "br", "hr", "img", "input", "link", "source", "wbr", "col", "area", "base", "embed", "track"}
# Every element the page may contain: transcript content can never add one.
ALLOWED_TAGS = {
    "html",
    "head",
    "body",
    "meta",
    "title",
    "style",
    "main",
    "header",
    "h1",
    "h2",
    "p",
    "strong",
    "details",
    "summary",
    "blockquote",
    "cite",
    "div",
    "section",
    "dl",
    "dt",
    "dd",
    "svg",
    "desc",
    "g",
    "rect",
    "text",
    "line",
    "span",
    "sub",
    "mark",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "footer",
}


def _batch(name: str) -> Transcript:
    return parse_batch_output((VECTORS / "batch_outputs" / f"{name}.json").read_bytes())


def _streaming(name: str) -> Transcript:
    sequences = json.loads((VECTORS / "transcript_events.json").read_text())["sequences"]
    sequence = next(s for s in sequences if s["name"] == name)
    return Transcript.from_events(TranscriptEvent.from_payload(json.dumps(e["payload"])) for e in sequence["events"])


def _speakers_and_phi() -> Transcript:
    """The speaker-labelled golden file with phi.json's entity: both features in one transcript."""
    data = json.loads((VECTORS / "batch_outputs" / "speaker_labels.json").read_text())
    data["results"]["entities"] = json.loads((VECTORS / "batch_outputs" / "phi.json").read_text())["results"][
        "entities"
    ]
    return parse_batch_output(data)


class Page(HTMLParser):
    """What a browser would see: the tags, the flagged words, the PHI marks and the histogram."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.low_words: list[str] = []
        self.low_confidences: list[float] = []
        self.phi_marks: list[str] = []
        self.bins: list[tuple[int, int]] = []
        self.style = ""
        self.text = ""
        self.stack: list[str] = []
        self._low: list[str] | None = None
        self._mark: list[str] | None = None
        self._in_sub = False
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        classes = (attributes.get("class") or "").split()
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "span" and "low" in classes and "key" not in classes and self._in_transcript():
            self._low = []
            self.low_confidences.append(float(attributes["data-confidence"] or "nan"))
        elif tag == "mark" and "phi" in classes and self._in_transcript():
            self._mark = []
        elif tag == "sub":
            self._in_sub = True
        elif tag == "style":
            self._in_style = True
        elif tag == "g" and "bin" in classes:
            self.bins.append((int(attributes["data-count"] or -1), int(attributes["data-below"] or -1)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()
        if tag == "span" and self._low is not None:
            self.low_words.append("".join(self._low))
            self._low = None
        elif tag == "mark" and self._mark is not None:
            self.phi_marks.append("".join(self._mark))
            self._mark = None
        elif tag == "sub":
            self._in_sub = False
        elif tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
            return
        self.text += data
        if self._in_sub:
            return  # the confidence shown next to a flagged word
        for collected in (self._low, self._mark):
            if collected is not None:
                collected.append(data)

    def _in_transcript(self) -> bool:
        return "ol" in self.stack  # the legend shows samples outside the segment list

    @classmethod
    def of(cls, page: str) -> Page:
        parsed = cls()
        parsed.feed(page)
        parsed.close()
        assert parsed.stack == [], f"unclosed: {parsed.stack}"
        return parsed


ALL = {
    **{path.stem: parse_batch_output(path.read_bytes()) for path in GOLDEN},
    "speakers_phi": _speakers_and_phi(),
    "streaming_speakers_phi": _streaming("conversation_speakers_phi"),
    "streaming_channels": _streaming("two_channels"),
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_page_is_well_formed_and_loads_nothing(name: str) -> None:
    page = to_html(ALL[name])
    assert page.startswith("<!DOCTYPE html>\n")
    parsed = Page.of(page)
    names = [tag for tag, _ in parsed.tags]
    assert names.count("html") == names.count("head") == names.count("body") == 1
    assert names[names.index("head") :].index("title") < names.index("body") - names.index("head")
    for banned in ("script", "link", "iframe", "img", "object", "embed", "audio", "video", "source", "base", "form"):
        assert banned not in names
    for tag, attributes in parsed.tags:
        for attribute, value in attributes.items():
            assert not attribute.startswith("on"), (tag, attribute)
            assert attribute not in ("src", "href", "xlink:href", "srcset", "action")
            assert "//" not in (value or ""), (tag, attribute, value)
    assert "url(" not in parsed.style and "@import" not in parsed.style and "@font-face" not in parsed.style
    assert "http:" not in page and "https:" not in page
    csp = next(a["content"] for t, a in parsed.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp is not None and "default-src 'none'" in csp


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("threshold", [0.0, 0.96, 0.99, 0.999, 1.0])
def test_flags_exactly_the_words_below_the_threshold(name: str, threshold: float) -> None:
    transcript = ALL[name]
    parsed = Page.of(to_html(transcript, min_confidence=threshold))
    flags = transcript.review(threshold)
    assert parsed.low_words == [flag.content for flag in flags]
    assert parsed.low_confidences == pytest.approx([flag.confidence for flag in flags], abs=1e-4)
    assert all(confidence < threshold for confidence in parsed.low_confidences)


def test_punctuation_is_never_flagged() -> None:
    transcript = Transcript(
        segments=[
            Segment(
                start=0.0,
                end=1.0,
                text="Fine, thanks.",
                items=[
                    Item(start=0.0, end=0.4, content="Fine", confidence=0.2),
                    Item(content=",", type="punctuation", confidence=0.0),
                    Item(start=0.5, end=1.0, content="thanks", confidence=0.99),
                    Item(content=".", type="punctuation"),
                ],
            )
        ]
    )
    parsed = Page.of(to_html(transcript, min_confidence=1.0))
    assert parsed.low_words == ["Fine", "thanks"]
    assert sum(count for count, _ in parsed.bins) == 2


@pytest.mark.parametrize("name", ["phi", "speakers_phi", "streaming_speakers_phi"])
def test_phi_entities_are_marked(name: str) -> None:
    parsed = Page.of(to_html(ALL[name]))
    assert [" ".join(mark.split()).replace("Mr ", "Mr. ") for mark in parsed.phi_marks] == ["Mr. Alvarez"]


def test_phi_is_marked_in_a_segment_without_items() -> None:
    transcript = Transcript(
        segments=[
            Segment(
                start=0.0,
                end=2.0,
                text="Patient Jane Roe, born 1970.",
                entities=[Entity(start=0.3, end=0.9, content="Jane Roe"), Entity(start=1.2, end=1.9, content="1970")],
            )
        ]
    )
    parsed = Page.of(to_html(transcript))
    assert parsed.phi_marks == ["Jane Roe", "1970"]
    assert "Patient Jane Roe, born 1970." in parsed.text


def test_no_phi_mark_without_entities() -> None:
    assert Page.of(to_html(ALL["speaker_labels"])).phi_marks == []


@pytest.mark.parametrize("name", sorted(ALL))
def test_histogram_counts_every_scored_word_once(name: str) -> None:
    transcript = ALL[name]
    parsed = Page.of(to_html(transcript, min_confidence=0.99))
    scored = [item for s in transcript.segments for item in s.items if item.confidence is not None]
    assert len(parsed.bins) == 10
    assert sum(count for count, _ in parsed.bins) == len(scored) > 0
    assert sum(below for _, below in parsed.bins) == len(transcript.review(0.99))


def test_histogram_bins() -> None:
    items = [Item(start=i, end=i + 0.5, content="w", confidence=c) for i, c in enumerate([0.0, 0.05, 0.1, 0.849, 1.0])]
    transcript = Transcript(segments=[Segment(start=0, end=5, text="w w w w w", items=items)])
    histogram = ConfidenceHistogram.of(transcript, 0.85)
    assert histogram.counts == (2, 1, 0, 0, 0, 0, 0, 0, 1, 1)
    assert histogram.below == (2, 1, 0, 0, 0, 0, 0, 0, 1, 0)
    assert histogram.total == 5


def test_summary_and_threshold_are_shown() -> None:
    transcript = ALL["speakers_phi"]
    parsed = Page.of(to_html(transcript, min_confidence=0.99))
    page = to_html(transcript, min_confidence=0.99)
    for name, value in (("Words", "17"), ("Review threshold", "0.99"), ("PHI entities", "1"), ("Segments", "4")):
        assert f"<dt>{name}</dt><dd>{value}</dd>" in page
    for name, value in (("Flagged for review", "2"), ("Flagged share", "11.8%")):
        assert f'<dt>{name}</dt><dd class="alert">{value}</dd>' in page
    text = " ".join(parsed.text.split())
    assert "2 of 17 words are below the review threshold 0.99" in text


def test_review_notice_is_on_the_page() -> None:
    text = " ".join(Page.of(to_html(ALL["plain"])).text.split())
    assert REVIEW_NOTICE in text
    assert IMPORTANT_NOTICE in text


def test_speakers_and_channels_are_distinguished() -> None:
    for name, labels in (("speaker_labels", ["spk_0", "spk_1"]), ("channel_identification", ["ch_0", "ch_1"])):
        parsed = Page.of(to_html(ALL[name]))
        rows = [a for t, a in parsed.tags if t == "li" and "segment" in (a.get("class") or "")]
        key = "data-speaker" if labels[0].startswith("spk") else "data-channel"
        colours = {row[key]: row["style"] for row in rows}
        assert sorted(colours) == labels
        assert len(set(colours.values())) == 2, "each label has its own colour"
        assert all(label in parsed.text for label in labels)


def test_timestamps_per_segment() -> None:
    text = Page.of(to_html(ALL["plain"])).text
    for start, end in (("00:00:00.540", "00:00:02.180"), ("00:00:06.020", "00:00:08.150")):
        assert f"{start} \u2013 {end}" in text


def test_content_is_escaped() -> None:
    hostile = "<script>alert('x')</script>"
    transcript = Transcript(
        source="batch",
        job_name="job<b>",
        segments=[
            Segment(
                start=0.0,
                end=1.0,
                text=f"{hostile} & more",
                speaker="spk_0",
                items=[
                    Item(start=0.0, end=0.5, content=hostile, confidence=0.1),
                    Item(start=0.5, end=1.0, content='"&amp;"', confidence=0.99),
                ],
                entities=[Entity(start=0.0, end=0.5, content=hostile)],
            ),
            Segment(start=1.0, end=2.0, text=f"{hostile} again", entities=[Entity(start=1, end=2, content="again")]),
        ],
    )
    page = to_html(transcript, title="<img src=x onerror=alert(1)>")
    parsed = Page.of(page)
    names = [tag for tag, _ in parsed.tags]
    assert "script" not in names and "img" not in names and "b" not in names
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert parsed.low_words == [hostile]
    assert hostile in parsed.phi_marks
    assert '"&amp;"' in parsed.text  # shown literally, not as an entity
    assert "<img src=x onerror=alert(1)>" in parsed.text


def test_empty_transcript() -> None:
    parsed = Page.of(to_html(Transcript()))
    assert "This transcript is empty." in parsed.text
    assert parsed.bins == [(0, 0)] * 10


def test_defaults_and_dispatch() -> None:
    transcript = ALL["speakers_phi"]
    assert export(transcript, "html") == to_html(transcript, min_confidence=DEFAULT_MIN_CONFIDENCE)
    assert "<title>Visit 1</title>" in to_html(transcript, title="Visit 1")


@pytest.mark.parametrize("threshold", [-0.1, 1.5, float("nan")])
def test_threshold_out_of_range(threshold: float) -> None:
    with pytest.raises(ValidationError, match="min_confidence"):
        to_html(ALL["plain"], min_confidence=threshold)


def test_redacted_page_has_no_phi() -> None:
    page = to_html(ALL["speakers_phi"].redact_phi(), min_confidence=0.99)
    assert "Alvarez" not in page
    assert Page.of(page).phi_marks == ["[PHI]"]


@settings(max_examples=60, deadline=None)
@given(transcripts(), st.floats(min_value=0, max_value=1, allow_nan=False))
def test_random_transcripts(transcript: Transcript, threshold: float) -> None:
    page = to_html(transcript, min_confidence=threshold)
    parsed = Page.of(page)
    assert parsed.low_words == [" ".join(flag.content.split()) for flag in transcript.review(threshold)]
    scored = sum(item.confidence is not None for s in transcript.segments for item in s.items)
    assert sum(count for count, _ in parsed.bins) == scored
    assert not {"script", "img", "link"} & {tag for tag, _ in parsed.tags}
    body = page.split("</style>", 1)[1]
    assert set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", body)) <= ALLOWED_TAGS


def test_aws_hypotheses_are_listed_per_aws_segment_escaped() -> None:
    transcript = ALL["alternatives"]
    assert transcript.alternative_segments
    parsed = Page.of(to_html(transcript))
    assert "Alternative hypotheses" in parsed.text
    for segment in transcript.alternative_segments:
        for alternative in segment.alternatives:
            assert alternative.text in parsed.text
    hostile = transcript.model_copy(
        update={
            "alternative_segments": [
                segment.model_copy(update={"alternatives": [Alternative(text="<script>x</script>")]})
                for segment in transcript.alternative_segments
            ]
        }
    )
    page = to_html(hostile)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Alternative hypotheses" not in Page.of(to_html(ALL["plain"])).text
