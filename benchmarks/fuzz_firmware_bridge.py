"""Mutation fuzzing of the firmware_bridge receive paths, both directions.

    python benchmarks/fuzz_firmware_bridge.py [--inputs 1000000] [--seed 1]

Builds a corpus of valid framed traffic (signed commands for the robot, telemetry for the
ground) and feeds mutated versions to the robot endpoint (deframer, Space Packet parsing, MAC,
replay window, argument checks) and to the ground link (deframer, packet and dictionary
decoding). Each input is one of: 1-3 flipped bits, random byte overwrites, insertions,
deletions, truncation, splices of two streams, or pure random bytes. Checks:

- nothing raises (every bad input ends as a counted status);
- with 1-3 flipped bits, no frame other than an original one is ever delivered (CRC-16 has
  Hamming distance 4 at these lengths);
- whatever the mutation, the robot executes only original commands, each at most once per
  endpoint (a frame that slips past the CRC by chance, about 1 in 65536 candidates, is
  stopped by the MAC). Telemetry is not authenticated (PROTOCOL.md 8), so such a chance frame
  towards the ground is only counted (``crc_collisions``).

Exit status 1 and the failing input in hex on the first violation.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from typing import Final

from firmware_bridge.auth import KeyRing
from firmware_bridge.dictionary import default_dictionary
from firmware_bridge.framing import Deframer, DeframeStatus
from firmware_bridge.link import CommandLink, RobotEndpoint
from firmware_bridge.sim_mcu import RoverMcuModel
from firmware_bridge.space_packet import PacketType, SpacePacket
from firmware_bridge.transport import LoopbackTransport

KEYS: Final = KeyRing({1: bytes(range(1, 33))})
RESET_EVERY: Final = 2000


class ViolationError(Exception):
    pass


def command_corpus(seed: int) -> tuple[list[bytes], Counter[str]]:
    """Framed signed commands, and what executing each once would record."""
    from firmware_bridge.auth import sign_command
    from firmware_bridge.framing import encode_frame

    d = default_dictionary()
    rng = random.Random(seed)
    frames: list[bytes] = []
    originals: Counter[str] = Counter()
    samples = {
        "NOOP": {},
        "STOP": {},
        "DRIVE": {"left_mps": 0.25, "right_mps": -0.125, "duration_ms": 1500},
        "SET_POWER": {"rail": 1, "on": True},
        "SET_HK_PERIOD": {"period_ms": 500},
        "REQUEST_HOUSEKEEPING": {},
    }
    for seq in range(1, 41):
        name = rng.choice(sorted(samples))
        command, args = d.encode_args(name, samples[name])
        signed = sign_command(
            KEYS[1], apid=0x100, key_id=1, robot_id=1, seq=seq, opcode=command.opcode, args=args
        )
        packet = SpacePacket.build(
            apid=0x100, data=signed.data, packet_type=PacketType.TC, sequence_count=seq
        )
        frames.append(encode_frame(packet.encode()))
        originals[_execution_key(name, d.decode_args(command, args))] += 1
    return frames, originals


def telemetry_corpus() -> list[bytes]:
    """Framed TM as a robot sends it (acks, events, housekeeping)."""
    d = default_dictionary()
    endpoint = RobotEndpoint(d, KEYS, 1, RoverMcuModel(), clock_ms=lambda: 1234)
    frames_blob = endpoint.boot()
    cmd_frames, _ = command_corpus(7)
    for frame in cmd_frames:
        frames_blob += endpoint.feed(frame)
    deframer = Deframer()
    frames: list[bytes] = []
    from firmware_bridge.framing import encode_frame

    for event in deframer.feed(frames_blob + endpoint.tick()):
        if event.status is DeframeStatus.FRAME:
            frames.append(encode_frame(event.payload))
    return frames


def _execution_key(name: str, args: object) -> str:
    return f"{name} {sorted(dict(args).items())}"  # type: ignore[call-overload]


def mutate(rng: random.Random, frames: list[bytes]) -> tuple[str, bytes]:
    """One mutated input built from 1..4 consecutive frames of ``frames``."""
    start = rng.randrange(len(frames))
    stream = bytearray(b"".join(frames[start : start + rng.randint(1, 4)]))
    kind = rng.choice(
        ("flip", "flip", "overwrite", "insert", "delete", "truncate", "splice", "random", "reframe")
    )
    if kind == "reframe":
        # Damage the packet inside one frame, then frame it again with a valid CRC: what a
        # CRC collision or a malicious sender delivers. Only the packet checks and the MAC
        # stand in the way.
        packet = bytearray(frames[start][6:-2])
        for _ in range(rng.randint(1, 4)):
            choice = rng.randrange(4)
            if choice == 0:
                packet[rng.randrange(len(packet))] ^= 1 << rng.randrange(8)
            elif choice == 1:
                packet[rng.randrange(len(packet))] = rng.randrange(256)
            elif choice == 2 and len(packet) > 7:
                del packet[rng.randrange(6, len(packet))]
            else:
                packet.insert(rng.randrange(6, len(packet) + 1), rng.randrange(256))
        length = len(packet) - 7
        if 0 <= length <= 0xFFFF:
            packet[4:6] = length.to_bytes(2, "big")  # keep the packet length consistent
        from firmware_bridge.framing import encode_frame

        return kind, encode_frame(bytes(packet)) if packet else b""
    if kind == "flip":
        for position in rng.sample(range(len(stream) * 8), rng.randint(1, 3)):
            stream[position // 8] ^= 0x80 >> (position % 8)
    elif kind == "overwrite":
        for _ in range(rng.randint(1, 8)):
            stream[rng.randrange(len(stream))] = rng.randrange(256)
    elif kind == "insert":
        at = rng.randrange(len(stream) + 1)
        stream[at:at] = rng.randbytes(rng.randint(1, 16))
    elif kind == "delete":
        at = rng.randrange(len(stream))
        del stream[at : at + rng.randint(1, 16)]
    elif kind == "truncate":
        del stream[rng.randrange(len(stream)) :]
    elif kind == "splice":
        other = rng.choice(frames)
        stream = stream[: rng.randrange(len(stream) + 1)] + other[rng.randrange(len(other)) :]
    else:
        stream = bytearray(rng.randbytes(rng.randint(0, 200)))
    return kind, bytes(stream)


def fuzz(inputs: int, seed: int) -> int:
    d = default_dictionary()
    rng = random.Random(seed)
    cmd_frames, originals = command_corpus(seed)
    tm_frames = telemetry_corpus()
    original_payloads = {f[6:-2] for f in cmd_frames} | {f[6:-2] for f in tm_frames}
    kinds: Counter[str] = Counter()
    stats: Counter[str] = Counter()
    model = RoverMcuModel()
    endpoint = RobotEndpoint(d, KEYS, 1, model, clock_ms=lambda: 0)
    link = CommandLink(LoopbackTransport.pair()[0], d, KEYS, key_id=1, robot_id=1)
    started = time.perf_counter()
    for index in range(inputs):
        to_robot = index % 2 == 0
        kind, data = mutate(rng, cmd_frames if to_robot else tm_frames)
        kinds[kind] += 1
        try:
            # Frame level: what the deframer delivers from this input alone.
            deframer = Deframer()
            delivered = [
                e.payload
                for e in deframer.feed(data) + deframer.flush()
                if e.status is DeframeStatus.FRAME
            ]
            for payload in delivered:
                if payload not in original_payloads:
                    if kind == "flip":
                        raise ViolationError(f"a frame with {kind} mutation passed the CRC")
                    if kind == "reframe":
                        continue
                    stats["crc_collisions_to_" + ("robot" if to_robot else "ground")] += 1
            if to_robot:
                before = len(model.executed)
                rejected = sum(endpoint.counters.rejected.values())
                duplicates = endpoint.counters.duplicates
                endpoint.feed(data)
                endpoint.feed(b"\x00" * 8)  # let the deframer settle a cut-off frame
                stats["robot_rejected"] += sum(endpoint.counters.rejected.values()) - rejected
                stats["robot_duplicates"] += endpoint.counters.duplicates - duplicates
                if len(model.executed) > before:
                    _check_executions(model, originals)
            else:
                link.process(data)
        except ViolationError as error:
            print(f"VIOLATION at input {index} ({kind}): {error}\n{data.hex()}")
            return 1
        except Exception as error:  # any other exception is the finding
            print(f"CRASH at input {index} ({kind}): {type(error).__name__}: {error}\n{data.hex()}")
            return 1
        if index % RESET_EVERY == RESET_EVERY - 1:
            stats["executed"] += len(model.executed)
            model = RoverMcuModel()
            endpoint = RobotEndpoint(d, KEYS, 1, model, clock_ms=lambda: 0)
            link = CommandLink(LoopbackTransport.pair()[0], d, KEYS, key_id=1, robot_id=1)
    elapsed = time.perf_counter() - started
    stats["executed"] += len(model.executed)
    print(
        f"{inputs} inputs in {elapsed:.1f} s ({inputs / elapsed:,.0f}/s), seed {seed}: "
        "no crash, no corrupted frame from 1-3 bit flips, only original commands executed "
        "(each at most once per endpoint)"
    )
    print("mutations:", dict(sorted(kinds.items())))
    print("outcomes:", dict(sorted(stats.items())))
    return 0


def _check_executions(model: RoverMcuModel, originals: Counter[str]) -> None:
    executed = Counter(_execution_key(name, args) for name, args in model.executed)
    extra = executed - originals
    if extra:
        raise ViolationError(f"executed what was never signed, or twice: {dict(extra)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    return fuzz(options.inputs, options.seed)


if __name__ == "__main__":
    sys.exit(main())
