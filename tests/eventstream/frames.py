"""Frames built by hand with struct + zlib, independently of the codec under test."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "eventstream.json"


def load_vectors() -> dict[str, Any]:
    """The golden vectors of tests/vectors/eventstream.json."""
    result: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return result


def build_frame(
    header_block: bytes,
    payload: bytes = b"",
    *,
    total_length: int | None = None,
    headers_length: int | None = None,
) -> bytes:
    """A frame with valid CRCs around the given raw header section and payload.

    ``total_length`` / ``headers_length`` override the prelude fields (the CRCs still match them),
    so only the codec's own checks can catch the inconsistency.
    """
    total = 16 + len(header_block) + len(payload) if total_length is None else total_length
    headers = len(header_block) if headers_length is None else headers_length
    lengths = struct.pack(">II", total, headers)
    head = lengths + struct.pack(">I", zlib.crc32(lengths))
    body = head + header_block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def build_prelude(total_length: int, headers_length: int) -> bytes:
    """Just the 12-byte prelude, with a valid CRC."""
    lengths = struct.pack(">II", total_length, headers_length)
    return lengths + struct.pack(">I", zlib.crc32(lengths))


def string_header(name: str, value: str) -> bytes:
    """The raw bytes of one type-7 header."""
    encoded_name, encoded_value = name.encode(), value.encode()
    return bytes([len(encoded_name)]) + encoded_name + b"\x07" + struct.pack(">H", len(encoded_value)) + encoded_value
