"""Bit errors at 1e-4 in both directions, through framing and the authenticated link: every
command is either delivered intact exactly once (after retries) or reported failed."""

from __future__ import annotations

import random
from pathlib import Path

from firmware_bridge.auth import load_key_file
from firmware_bridge.dictionary import default_dictionary
from firmware_bridge.link import CommandFailedError, CommandLink, RobotEndpoint
from firmware_bridge.sim_mcu import RoverMcuModel
from firmware_bridge.testing import EndpointThread
from firmware_bridge.transport import ImpairedTransport, LoopbackTransport

TEST_KEYS = Path(__file__).parent / "data" / "test_keys.txt"
BIT_ERROR_RATE = 1e-4
COMMANDS = 1500


def test_bit_error_rate_1e4_every_command_exactly_once_or_reported() -> None:
    d = default_dictionary()
    keys = load_key_file(TEST_KEYS, d)
    model = RoverMcuModel(hk_period_ms=60000)
    endpoint = RobotEndpoint(d, keys.only(1), 1, model)
    a, b = LoopbackTransport.pair()
    down = ImpairedTransport(b, bit_error_rate=BIT_ERROR_RATE, seed=11)
    up = ImpairedTransport(a, bit_error_rate=BIT_ERROR_RATE, seed=12)
    rng = random.Random(3)
    sent: list[tuple[str, dict[str, object]]] = []
    delivered: set[int] = set()
    failed: set[int] = set()
    with EndpointThread(endpoint, down):
        link = CommandLink(up, d, keys, key_id=1, robot_id=1, timeout_s=0.03, retries=6)
        for index in range(COMMANDS):
            # Each command is told apart by its arguments: its index is encoded in them.
            if index % 2:
                args: dict[str, object] = {"period_ms": 100 + index}
                name = "SET_HK_PERIOD"
            else:
                args = {
                    "left_mps": rng.uniform(-0.5, 0.5),
                    "right_mps": rng.uniform(-0.5, 0.5),
                    "duration_ms": index,
                }
                name = "DRIVE"
            sent.append((name, args))
            try:
                result = link.send(name, args)
            except CommandFailedError:
                failed.add(index)
                continue
            assert result.succeeded
            delivered.add(index)
    executed_ids: list[int] = []
    for name, args in model.executed:
        index = (
            int(args["period_ms"]) - 100 if name == "SET_HK_PERIOD" else int(args["duration_ms"])
        )
        want_name, want = sent[index]
        assert name == want_name
        for key, value in want.items():
            # Intact: exactly the bytes sent (f32 rounding is the only difference).
            assert abs(float(args[key]) - float(value)) <= 1e-7, (index, key)  # type: ignore[arg-type]
        executed_ids.append(index)
    assert len(executed_ids) == len(set(executed_ids)), "a command was executed twice"
    assert delivered <= set(executed_ids), "a success was reported for a command never executed"
    assert set(executed_ids) <= delivered | failed
    assert len(delivered) + len(failed) == COMMANDS
    # The channel really was noisy, and the noise was caught by the CRC or the MAC.
    assert up.bits_flipped + down.bits_flipped > 20
    assert link.counters.retransmissions > 0
    robot_bad = endpoint.counters.frames_bad + sum(endpoint.counters.rejected.values())
    ground_bad = sum(link.counters.tm_errors.values())
    assert robot_bad + ground_bad > 0
    print(
        f"BER {BIT_ERROR_RATE}: {up.bits_flipped + down.bits_flipped} bits flipped, "
        f"{link.counters.retransmissions} retransmissions, {len(delivered)} delivered, "
        f"{len(failed)} reported failed, robot rejected {robot_bad}, ground dropped {ground_bad}"
    )
    assert len(failed) <= COMMANDS * 0.01
