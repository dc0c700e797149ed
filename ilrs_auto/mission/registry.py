"""Behaviours by name: what ``ilrs-auto diagram NAME`` and other tools look names up in.

To register a behaviour, add ONE line to ``_ENTRIES`` below: its name (the class's ``name``
attribute, as used on the command line) and ``"module:ClassName"``. The class is imported only
when asked for, so registering costs nothing at start-up and a broken module breaks only its
own name. Keep the list sorted; a test checks that every entry imports, that its ``name``
matches, and that its diagram shows every state and trigger.
"""

from __future__ import annotations

import importlib

from ilrs_auto.mission.behaviour import Behaviour

_ENTRIES: dict[str, str] = {
    "lander": "ilrs_auto.mission.lander:LanderCommandCentre",
    "rover_traverse": "ilrs_auto.mission.rover_traverse:RoverTraverse",
    "safe_mode": "ilrs_auto.mission.safe_mode:SafeMode",
    "sample_collection": "ilrs_auto.mission.sample_collection:SampleCollection",
    "tube_exploration": "ilrs_auto.mission.tube_exploration:TubeExploration",
}


def names() -> list[str]:
    return sorted(_ENTRIES)


def behaviour_class(name: str) -> type[Behaviour]:
    """The class registered as ``name``; KeyError naming the known ones otherwise."""
    try:
        target = _ENTRIES[name]
    except KeyError:
        raise KeyError(f"unknown behaviour {name!r} (known: {', '.join(names())})") from None
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Behaviour)):
        raise TypeError(f"{target} is not a Behaviour")
    return cls


__all__ = ["behaviour_class", "names"]
