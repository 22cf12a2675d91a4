"""atheris harness: the event-stream decoder never raises anything but ProtocolError.

Run: ``python fuzz/fuzz_eventstream.py -runs=200000`` (or ``-max_total_time=60``).
The input is split at a fuzzer-chosen offset so partial feeds are exercised too; every decoded
message must re-encode to exactly the bytes it came from.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from transcribe_medical._exceptions import ProtocolError
    from transcribe_medical.eventstream import EventStreamDecoder, encode_message


def _structured(data: bytes) -> bytes:
    """A valid frame built from ``data``, with one byte flipped at a chosen place (or none).

    Random bytes rarely get past the CRCs; this mode reaches the header and payload parsers.
    """
    provider = atheris.FuzzedDataProvider(data)
    headers: dict[str, object] = {}
    for _ in range(provider.ConsumeIntInRange(0, 4)):
        name = provider.ConsumeUnicodeNoSurrogates(8) or "h"
        kind = provider.ConsumeIntInRange(0, 3)
        if kind == 0:
            headers[name] = provider.ConsumeBool()
        elif kind == 1:
            headers[name] = provider.ConsumeIntInRange(-(2**31), 2**31 - 1)
        elif kind == 2:
            headers[name] = provider.ConsumeBytes(provider.ConsumeIntInRange(0, 16))
        else:
            headers[name] = provider.ConsumeUnicodeNoSurrogates(16)
    payload = provider.ConsumeBytes(provider.ConsumeIntInRange(0, 256))
    frame = bytearray(encode_message(headers, payload))  # type: ignore[arg-type]
    flip = provider.ConsumeIntInRange(-1, len(frame) - 1)
    if flip >= 0:
        frame[flip] ^= provider.ConsumeIntInRange(1, 255)
    return bytes(frame)


def test_one_input(data: bytes) -> None:
    """Decode ``data`` fed in two pieces; check the round trip of every message decoded."""
    if len(data) < 2:
        return
    split = data[0]
    body = _structured(data[2:]) if data[1] & 1 else data[2:]
    split %= len(body) + 1
    decoder = EventStreamDecoder(max_message_size=64 * 1024)
    messages = []
    try:
        messages += decoder.feed(body[:split])
        messages += decoder.feed(body[split:])
        decoder.close()
    except ProtocolError:
        return
    encoded = b"".join(encode_message(m.headers, m.payload) for m in messages)
    if encoded != body:
        raise AssertionError("a decoded message did not re-encode to its own bytes")


def main() -> None:
    """Entry point for atheris/libFuzzer."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
