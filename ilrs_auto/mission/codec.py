"""Event arguments as JSON and back, exactly: what the supervisor records of an event fired into
a behaviour, so replay can fire the same event with equal arguments.

Plain JSON values pass through; everything else is a tagged object ``{"__type__": TAG, ...}``:
tuples (named tuples such as ``Cell`` become plain tuples, which compare equal), numpy arrays
(dtype, shape and values), plans (their arrays and numbers), non-finite floats, and, for a type
the codec does not know, its ``repr`` (``"opaque"``: recorded for people, not replayable:
:func:`decode` raises :class:`OpaqueValueError` on it).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ilrs_auto.planning.base import Plan

TAG = "__type__"


class OpaqueValueError(ValueError):
    """An event argument recorded only as its text: the event cannot be replayed."""


def encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {TAG: "float", "value": str(value)}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, np.ndarray):
        return {
            TAG: "ndarray",
            "dtype": value.dtype.str,
            "shape": list(value.shape),
            "data": [encode(v) for v in value.ravel().tolist()],
        }
    if isinstance(value, Plan):
        return {
            TAG: "plan",
            "cells": encode(value.cells),
            "cost": encode(value.cost),
            "expansions": value.expansions,
            "elapsed_s": encode(value.elapsed_s),
            "planner": value.planner,
            "waypoints": None if value.waypoints is None else encode(value.waypoints),
        }
    if isinstance(value, tuple):
        return {TAG: "tuple", "items": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value) and TAG not in value:
        return {k: encode(v) for k, v in value.items()}
    return {TAG: "opaque", "type": type(value).__name__, "repr": repr(value)}


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {k: decode(v) for k, v in value.items()}
    if tag == "float":
        return float(value["value"])
    if tag == "tuple":
        return tuple(decode(v) for v in value["items"])
    if tag == "ndarray":
        data = [decode(v) for v in value["data"]]
        return np.asarray(data, dtype=np.dtype(value["dtype"])).reshape(value["shape"])
    if tag == "plan":
        waypoints = value["waypoints"]
        return Plan(
            cells=decode(value["cells"]),
            cost=float(decode(value["cost"])),
            expansions=int(value["expansions"]),
            elapsed_s=float(decode(value["elapsed_s"])),
            planner=str(value["planner"]),
            waypoints=None if waypoints is None else decode(waypoints),
        )
    if tag == "opaque":
        raise OpaqueValueError(f"a {value['type']} argument was recorded only as {value['repr']!r}")
    raise ValueError(f"unknown encoded type {tag!r}")


__all__ = ["OpaqueValueError", "decode", "encode"]
