"""Authentication: the PROTOCOL.md MAC test vector, key files, the anti-replay window."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.auth import (
    KeyFileError,
    KeyRing,
    ReplayVerdict,
    ReplayWindow,
    compute_mac,
    load_key_file,
    masked_header,
    parse_tc_fields,
    sign_command,
    verify_mac,
)
from firmware_bridge.dictionary import default_dictionary
from firmware_bridge.framing import encode_frame
from firmware_bridge.space_packet import PacketType, SpacePacket

TEST_KEYS = Path(__file__).parent / "data" / "test_keys.txt"


def make_test_key(key_id: int) -> bytes:
    """PROTOCOL.md 6: the test key of key_id k is (k + i) mod 256, i = 0..31."""
    return bytes((key_id + i) % 256 for i in range(32))


def test_the_committed_test_key_file_follows_the_documented_rule() -> None:
    keys = load_key_file(TEST_KEYS, default_dictionary())
    assert sorted(keys) == sorted(k.key_id for k in default_dictionary().keys)
    for key_id, key in keys.items():
        assert key == make_test_key(key_id)
    assert "0102" not in repr(keys)


def test_protocol_md_test_vector_drive() -> None:
    signed = sign_command(
        make_test_key(1),
        apid=0x100,
        key_id=1,
        robot_id=1,
        seq=1,
        opcode=0x0010,
        args=bytes.fromhex("3e800000be800000000005dc"),
    )
    packet = SpacePacket.build(
        apid=0x100, data=signed.data, packet_type=PacketType.TC, sequence_count=5
    )
    frame = encode_frame(packet.encode())
    assert frame.hex() == (
        "1acffc1d002a"
        "1100c0050023"
        "0101000000010010"
        "3e800000be800000000005dc"
        "871d7c6c06911f6262759dff2cbf43f0"
        "d153"
    )
    # The packet sequence count is outside the MAC: any count verifies.
    other = SpacePacket.build(
        apid=0x100, data=signed.data, packet_type=PacketType.TC, sequence_count=9
    )
    assert verify_mac(make_test_key(1), other.encode()[:6], signed.data)
    assert masked_header(bytes.fromhex("1100c0050023")) == bytes.fromhex("1100c0000023")


def test_protocol_md_test_vector_noop() -> None:
    key = make_test_key(1)
    signed = sign_command(key, apid=0x100, key_id=1, robot_id=1, seq=2, opcode=1, args=b"")
    packet = SpacePacket.build(
        apid=0x100, data=signed.data, packet_type=PacketType.TC, sequence_count=6
    )
    assert encode_frame(packet.encode()).hex() == (
        "1acffc1d001e1100c00600170101000000020001071f689c96287258e40ce45d45c73d761a6f"
    )


@settings(max_examples=200, deadline=None)
@given(args=st.binary(max_size=12), position=st.integers(min_value=0), bit=st.integers(0, 7))
def test_any_flipped_bit_outside_the_sequence_count_breaks_the_mac(
    args: bytes, position: int, bit: int
) -> None:
    signed = sign_command(
        make_test_key(1), apid=0x100, key_id=1, robot_id=1, seq=7, opcode=0x10, args=args
    )
    raw = bytearray(
        SpacePacket.build(apid=0x100, data=signed.data, packet_type=PacketType.TC).encode()
    )
    position %= len(raw)
    raw[position] ^= 1 << bit
    in_count = position == 3 or (position == 2 and bit < 6)
    assert verify_mac(make_test_key(1), bytes(raw[:6]), bytes(raw[6:])) == in_count


def test_parse_tc_fields() -> None:
    signed = sign_command(
        make_test_key(2),
        apid=0x100,
        key_id=2,
        robot_id=3,
        seq=0xDEADBEEF,
        opcode=0x20,
        args=b"\x01\x00",
    )
    fields = parse_tc_fields(signed.data)
    assert fields is not None
    assert (fields.key_id, fields.robot_id, fields.seq, fields.opcode, fields.args) == (
        2,
        3,
        0xDEADBEEF,
        0x20,
        b"\x01\x00",
    )
    assert parse_tc_fields(signed.data[:23]) is None
    assert not verify_mac(make_test_key(2), b"\x11\x00\xc0\x00\x00\x19", b"short")
    with pytest.raises(ValueError, match="seq 0"):
        sign_command(make_test_key(1), apid=0x100, key_id=1, robot_id=1, seq=0, opcode=1, args=b"")
    assert len(compute_mac(make_test_key(1), bytes(6), b"")) == 16


# ------------------------------------------------------------------------------------------
# Key files
# ------------------------------------------------------------------------------------------


def _key_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "keys.txt"
    path.write_text(text, encoding="ascii")
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 " + "00" * 32 + "\n1 " + "11" * 32 + "\n", r":2: key_id 1 again \(first on line 1\)"),
        ("1 " + "00" * 31 + "\n", r":1: key 1: 62 hex digits, expected 64"),
        ("1 " + "zz" * 32 + "\n", r":1: key 1: not hexadecimal"),
        ("# only a comment\n\n", r": holds no keys"),
        ("0 " + "00" * 32 + "\n", r":1: key_id '0' is not 1..255"),
        ("1\n", r":1: expected '<key_id> <64 hex digits>'"),
        ("77 " + "00" * 32 + "\n", r":1: key_id 77 is not in the dictionary"),
    ],
)
def test_bad_key_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = _key_file(tmp_path, text)
    with pytest.raises(KeyFileError, match=message):
        load_key_file(path, default_dictionary())


def test_key_file_rules(tmp_path: Path) -> None:
    path = _key_file(tmp_path, "# ops\n10 " + make_test_key(10).hex() + "  # Roscosmos\n")
    assert load_key_file(path, default_dictionary())[10] == make_test_key(10)
    os.chmod(path, 0o666)
    with pytest.raises(KeyFileError, match="anyone can write it"):
        load_key_file(path)
    with pytest.raises(KeyFileError, match="cannot read"):
        load_key_file(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="must be 32 bytes"):
        KeyRing({1: b"short"})
    assert KeyRing({1: make_test_key(1), 2: make_test_key(2)}).only(2) == {2: make_test_key(2)}


# ------------------------------------------------------------------------------------------
# Anti-replay window
# ------------------------------------------------------------------------------------------


class SetWindow:
    """An independent model of PROTOCOL.md 4: the set of every accepted number."""

    def __init__(self) -> None:
        self.accepted: set[int] = set()

    def verdict(self, seq: int) -> ReplayVerdict:
        highest = max(self.accepted, default=0)
        if seq == 0 or (seq <= highest and highest - seq >= 64):
            return ReplayVerdict.REPLAY
        if seq in self.accepted:
            return ReplayVerdict.DUPLICATE
        return ReplayVerdict.NEW


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.integers(0, 300), st.integers(0, 2**32 - 1)), min_size=1, max_size=120)
)
def test_window_matches_an_independent_set_model(sequence: list[int]) -> None:
    window = ReplayWindow()
    model = SetWindow()
    for seq in sequence:
        verdict = window.check(seq)
        assert verdict is model.verdict(seq), (seq, window.highest)
        if verdict is ReplayVerdict.NEW:
            window.accept(seq)
            model.accepted.add(seq)
        assert window.highest == max(model.accepted, default=0)
        assert 0 <= window.seen < 2**64


def test_window_edges() -> None:
    window = ReplayWindow()
    for seq in (1, 100):
        window.accept(seq)
    assert window.check(37) is ReplayVerdict.NEW  # 100 - 37 = 63: the last slot in the window
    assert window.check(36) is ReplayVerdict.REPLAY  # 64 behind: outside
    assert window.check(100) is ReplayVerdict.DUPLICATE
    window.accept(37)
    assert window.check(37) is ReplayVerdict.DUPLICATE
    window.accept(2**32 - 1)
    assert window.check(2**32 - 1) is ReplayVerdict.DUPLICATE
    assert window.check(100) is ReplayVerdict.REPLAY
    assert window.check(0) is ReplayVerdict.REPLAY
