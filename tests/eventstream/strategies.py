"""Hypothesis strategies for event-stream headers and messages."""

from __future__ import annotations

from hypothesis import strategies as st

from transcribe_medical.eventstream import HeaderValue, Int8, Int16, Int32, Int64, Timestamp, encode_message


def _signed(bits: int) -> st.SearchStrategy[int]:
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


header_names = st.text(min_size=1, max_size=40).filter(lambda name: 0 < len(name.encode()) <= 255)

header_values: st.SearchStrategy[HeaderValue] = st.one_of(
    st.booleans(),
    _signed(8).map(Int8),
    _signed(16).map(Int16),
    _signed(32).map(Int32),
    _signed(64).map(Int64),
    _signed(64),
    _signed(64).map(Timestamp),
    st.binary(max_size=64),
    st.text(max_size=64),
    st.uuids(),
)

headers = st.dictionaries(header_names, header_values, max_size=8)
payloads = st.binary(max_size=512)
frames = st.builds(encode_message, headers, payloads)
