"""Hypothesis strategies generating random, valid transcripts."""

from __future__ import annotations

from hypothesis import strategies as st

from transcribe_medical.models.transcript import (
    Alternative,
    AlternativeSegment,
    Entity,
    Item,
    Segment,
    Transcript,
    join_items,
)

# Printable text without whitespace or surrogates, including markup characters SRT/VTT must cope with.
# Excluding Cs (surrogates) already leaves only what UTF-8 encodes, so no codec= filter: it drew the
# same characters three to five times slower (most at the lowest hypothesis the dev extra allows).
_word_chars = st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn"))
words = st.one_of(
    st.text(_word_chars, min_size=1, max_size=12),
    st.sampled_from(["<b>", "&amp;", "-->", "a&b", "Mr.", "mg", "81"]),
    st.text(st.sampled_from("abcdefghij"), min_size=43, max_size=100),  # longer than a subtitle line
)
times = st.floats(min_value=0, max_value=100_000, allow_nan=False, allow_infinity=False)
confidences = st.none() | st.floats(min_value=0, max_value=1, allow_nan=False)
speaker_labels = st.integers(0, 4).map(lambda n: f"spk_{n}")
channel_labels = st.integers(0, 1).map(lambda n: f"ch_{n}")
speakers = st.none() | speaker_labels
channels = st.none() | channel_labels


@st.composite
def items(draw: st.DrawFn, start: float, end: float) -> list[Item]:
    """Words (and punctuation) timed inside ``start..end``, in order."""
    contents = draw(st.lists(words, max_size=12))
    result: list[Item] = []
    step = (end - start) / max(len(contents), 1)
    for index, content in enumerate(contents):
        if draw(st.booleans()) and result:
            result.append(Item(content=draw(st.sampled_from([".", ",", "?", "!"])), type="punctuation"))
        timed = draw(st.integers(0, 5)) > 0  # mostly timed, sometimes not (as batch punctuation)
        result.append(
            Item(
                start=start + step * index if timed else None,
                end=start + step * (index + 1) if timed else None,
                content=content,
                confidence=draw(confidences),
                speaker=draw(speakers),
                channel=draw(channels),
            )
        )
    return result


@st.composite
def segments(draw: st.DrawFn, labelling: str = "any") -> Segment:
    """A segment whose text usually, but not always, matches its items.

    ``labelling`` is ``"speakers"``, ``"channels"``, ``"both"``, ``"none"`` or ``"any"``.
    """
    # Drawn directly, not filtered out of the optional strategies: no rejected examples.
    speaker = draw(speaker_labels) if labelling in ("speakers", "both") else None
    channel = draw(channel_labels) if labelling in ("channels", "both") else None
    if labelling == "any":
        speaker, channel = draw(speakers), draw(channels)
    start = draw(times)
    end = draw(st.one_of(st.floats(min_value=start, max_value=start + 60), times))
    seg_items = draw(items(start, max(start, end)))
    unrelated = draw(st.integers(0, 4)) == 0  # sometimes the text does not match the items
    text = " ".join(draw(st.lists(words, max_size=30))) if unrelated else join_items(seg_items)
    entities = draw(
        st.lists(
            st.builds(
                Entity,
                start=times,
                end=times,
                content=words,
                confidence=confidences,
            ),
            max_size=2,
        )
    )
    alternatives = draw(st.lists(st.builds(Alternative, text=words, items=st.just(seg_items)), max_size=2))
    return Segment(
        start=start,
        end=end,
        text=text,
        speaker=speaker,
        channel=channel,
        items=seg_items,
        entities=entities,
        alternatives=alternatives,
        result_id=draw(st.none() | st.uuids().map(str)),
    )


@st.composite
def alternative_segments(draw: st.DrawFn) -> AlternativeSegment:
    """An AWS segment of a batch job with its hypotheses (each its own words, verbatim)."""
    start = draw(st.none() | times)
    end = None if start is None else draw(st.floats(min_value=start, max_value=start + 60))
    hypotheses = draw(
        st.lists(
            items(start or 0.0, end or 0.0).map(lambda found: Alternative(text=join_items(found), items=found)),
            max_size=3,
        )
    )
    return AlternativeSegment(
        start=start, end=end, speaker=draw(speakers), channel=draw(channels), alternatives=hypotheses
    )


@st.composite
def transcripts(draw: st.DrawFn) -> Transcript:
    """A random transcript, labelled as a real one is (all segments by speaker, by channel, or
    neither); segments are sorted by start, as both producers sort them."""
    labelling = draw(st.sampled_from(["speakers", "channels", "both", "none"]))
    segs = sorted(draw(st.lists(segments(labelling), max_size=8)), key=lambda segment: segment.start)
    return Transcript(
        segments=segs,
        source=draw(st.sampled_from([None, "streaming", "batch"])),
        job_name=draw(st.none() | st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True)),
        session_id=draw(st.none() | st.uuids().map(str)),
        alternative_segments=draw(st.lists(alternative_segments(), max_size=3)),
        service_text=draw(st.none() | st.lists(words, min_size=1, max_size=6).map(" ".join)),
    )
