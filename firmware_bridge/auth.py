"""Telecommand authentication: keys per partner agency, the MAC, the anti-replay window.

Implements PROTOCOL.md sections 2, 4 and 6:

- :class:`KeyRing` holds 32-byte keys by key_id, loaded from a key file (one
  ``<key_id> <64 hex digits>`` per line). Key material is never in the dictionary or the code.
- :func:`compute_mac` is HMAC-SHA256 over the masked primary header (the 14-bit packet
  sequence count zeroed) and the data field before the MAC, truncated to 16 bytes.
- :class:`ReplayWindow` is the per-key anti-replay state: the highest sequence number seen and a
  64-bit mask of the numbers below it, in the spirit of CCSDS SDLS (355.0-B).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final

from firmware_bridge.dictionary import (
    KEY_LEN,
    MAC_LEN,
    REPLAY_WINDOW,
    SECURITY_HEADER_LEN,
    TC_FIXED_LEN,
    Dictionary,
)
from firmware_bridge.space_packet import PacketType, PrimaryHeader, SequenceFlags

MAX_SEQ: Final = 0xFFFFFFFF
_SECURITY: Final = struct.Struct(">BBIH")  # key_id, robot_id, seq, opcode
_WINDOW_MASK: Final = (1 << REPLAY_WINDOW) - 1


class KeyFileError(ValueError):
    """A key file is unreadable or malformed. ``str()`` is ``file:line: problem``."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")
        self.path = path
        self.line = line


class KeyRing(Mapping[int, bytes]):
    """Keys by key_id (1..255), each exactly 32 bytes. Its repr never shows key material."""

    def __init__(self, keys: Mapping[int, bytes]) -> None:
        checked: dict[int, bytes] = {}
        for key_id, key in keys.items():
            if isinstance(key_id, bool) or not isinstance(key_id, int) or not 0 <= key_id <= 255:
                raise ValueError(f"key_id {key_id!r} is not 0..255")
            if not isinstance(key, bytes) or len(key) != KEY_LEN:
                raise ValueError(f"key {key_id}: must be {KEY_LEN} bytes")
            checked[key_id] = key
        self._keys = checked

    def __getitem__(self, key_id: int) -> bytes:
        return self._keys[key_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeyRing(key_ids={sorted(self._keys)})"

    def only(self, *key_ids: int) -> KeyRing:
        """A ring with just these key ids (an MCU or ground station holds a subset)."""
        return KeyRing({k: self._keys[k] for k in key_ids})


def load_key_file(path: str | Path, dictionary: Dictionary | None = None) -> KeyRing:
    """Read a key file (PROTOCOL.md 6).

    Lines are ``<key_id decimal> <64 hex digits>``; blank lines and ``#`` comments are
    ignored. Each key_id may appear once and, with ``dictionary``, must be one of its keys. On
    POSIX a file that anyone can write (o+w) is refused. Raises :class:`KeyFileError`.
    """
    name = str(path)
    try:
        info = os.stat(path)
        if os.name == "posix" and info.st_mode & stat.S_IWOTH:
            raise KeyFileError(name, 0, "anyone can write it; chmod o-w")
        text = Path(path).read_text(encoding="ascii")
    except OSError as error:
        raise KeyFileError(name, 0, f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise KeyFileError(name, 0, "not ASCII text") from None
    known = {k.key_id for k in dictionary.keys} if dictionary is not None else None
    keys: dict[int, bytes] = {}
    lines: dict[int, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise KeyFileError(name, number, "expected '<key_id> <64 hex digits>'")
        id_text, hex_text = parts
        if not id_text.isdigit() or not 0 < int(id_text) <= 255:
            raise KeyFileError(name, number, f"key_id {id_text!r} is not 1..255")
        key_id = int(id_text)
        if key_id in keys:
            raise KeyFileError(
                name, number, f"key_id {key_id} again (first on line {lines[key_id]})"
            )
        if known is not None and key_id not in known:
            raise KeyFileError(
                name, number, f"key_id {key_id} is not in the dictionary (keys: {sorted(known)})"
            )
        if len(hex_text) != 2 * KEY_LEN:
            raise KeyFileError(
                name, number, f"key {key_id}: {len(hex_text)} hex digits, expected {2 * KEY_LEN}"
            )
        try:
            keys[key_id] = bytes.fromhex(hex_text)
        except ValueError:
            raise KeyFileError(name, number, f"key {key_id}: not hexadecimal") from None
        lines[key_id] = number
    if not keys:
        raise KeyFileError(name, 0, "holds no keys")
    return KeyRing(keys)


# ------------------------------------------------------------------------------------------
# The MAC
# ------------------------------------------------------------------------------------------


def masked_header(header: bytes) -> bytes:
    """The 6 primary-header bytes as the MAC covers them: the packet sequence count zeroed."""
    if len(header) != 6:
        raise ValueError(f"primary header must be 6 bytes, got {len(header)}")
    return bytes((header[0], header[1], header[2] & 0xC0, 0, header[4], header[5]))


def compute_mac(key: bytes, header: bytes, body: bytes) -> bytes:
    """HMAC-SHA256(key, masked header || body)[:16]; ``body`` = data field before the MAC."""
    return hmac.new(key, masked_header(header) + body, hashlib.sha256).digest()[:MAC_LEN]


def verify_mac(key: bytes, header: bytes, data: bytes) -> bool:
    """Check the MAC trailer of a TC data field (constant-time compare)."""
    if len(data) < MAC_LEN:
        return False
    expected = compute_mac(key, header, data[:-MAC_LEN])
    return hmac.compare_digest(expected, data[-MAC_LEN:])


@dataclass(frozen=True)
class SignedCommand:
    """A signed TC data field and the fields it was built from. Retries resend ``data``."""

    key_id: int
    robot_id: int
    seq: int
    opcode: int
    args: bytes
    data: bytes


def sign_command(
    key: bytes,
    *,
    apid: int,
    key_id: int,
    robot_id: int,
    seq: int,
    opcode: int,
    args: bytes,
) -> SignedCommand:
    """Build the TC data field: security header, opcode, args, MAC (PROTOCOL.md 2).

    The MAC covers the primary header the packet will have (TC, unsegmented, no secondary
    header, ``apid``, data length 23 + len(args)), so the data field can be put in a packet
    with any packet sequence count.
    """
    if not 1 <= seq <= MAX_SEQ:
        raise ValueError(f"seq {seq} is not 1..{MAX_SEQ}")
    body = _SECURITY.pack(key_id, robot_id, seq, opcode) + args
    header = PrimaryHeader(
        apid=apid,
        data_length=len(body) + MAC_LEN - 1,
        packet_type=PacketType.TC,
        sequence_flags=SequenceFlags.UNSEGMENTED,
    ).encode()
    data = body + compute_mac(key, header, body)
    return SignedCommand(key_id, robot_id, seq, opcode, args, data)


@dataclass(frozen=True)
class TcFields:
    """The fixed fields of a TC data field that passed the length check."""

    key_id: int
    robot_id: int
    seq: int
    opcode: int
    args: bytes


def parse_tc_fields(data: bytes) -> TcFields | None:
    """Split a TC data field; None if it is shorter than the 24 fixed bytes."""
    if len(data) < TC_FIXED_LEN:
        return None
    key_id, robot_id, seq, opcode = _SECURITY.unpack_from(data)
    return TcFields(key_id, robot_id, seq, opcode, bytes(data[SECURITY_HEADER_LEN + 2 : -MAC_LEN]))


# ------------------------------------------------------------------------------------------
# Anti-replay window
# ------------------------------------------------------------------------------------------


class ReplayVerdict(Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    REPLAY = "replay"


class ReplayWindow:
    """Anti-replay state of one key (PROTOCOL.md 4).

    ``highest`` is the highest sequence number seen (0: none); bit i of ``seen`` says whether
    ``highest - i`` was seen. :meth:`check` classifies without changing anything; :meth:`accept`
    records a NEW number. Update only after the MAC verified.
    """

    def __init__(self) -> None:
        self.highest = 0
        self.seen = 0

    def check(self, seq: int) -> ReplayVerdict:
        if seq == 0:
            return ReplayVerdict.REPLAY
        if seq > self.highest:
            return ReplayVerdict.NEW
        behind = self.highest - seq
        if behind >= REPLAY_WINDOW:
            return ReplayVerdict.REPLAY
        if self.seen >> behind & 1:
            return ReplayVerdict.DUPLICATE
        return ReplayVerdict.NEW

    def accept(self, seq: int) -> None:
        """Record ``seq``, which :meth:`check` classified NEW."""
        if seq > self.highest:
            shift = seq - self.highest
            self.seen = 0 if shift >= REPLAY_WINDOW else (self.seen << shift) & _WINDOW_MASK
            self.seen |= 1
            self.highest = seq
        else:
            self.seen |= 1 << (self.highest - seq)
