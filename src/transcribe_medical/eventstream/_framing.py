"""The fixed layout of an event-stream message: prelude, headers, payload, message CRC.

::

    total_length (u32) | headers_length (u32) | prelude_crc (u32) | headers | payload | message_crc (u32)

The prelude CRC covers bytes 0-7; the message CRC covers everything before it, prelude CRC
included, which is ``crc32(bytes[8:-4], prelude_crc)``. All integers are big-endian.
"""

from __future__ import annotations

import struct
from typing import Final

__all__ = [
    "CRC",
    "CRC_LENGTH",
    "LENGTHS",
    "MAX_TOTAL_LENGTH",
    "MIN_MESSAGE_LENGTH",
    "PRELUDE",
    "PRELUDE_LENGTH",
]

#: total_length, headers_length, prelude_crc.
PRELUDE: Final = struct.Struct(">III")
#: total_length, headers_length: the part the prelude CRC covers.
LENGTHS: Final = struct.Struct(">II")
CRC: Final = struct.Struct(">I")

PRELUDE_LENGTH: Final = PRELUDE.size
CRC_LENGTH: Final = CRC.size
#: A message with no headers and no payload: the prelude and the message CRC.
MIN_MESSAGE_LENGTH: Final = PRELUDE_LENGTH + CRC_LENGTH
MAX_TOTAL_LENGTH: Final = 0xFFFF_FFFF
