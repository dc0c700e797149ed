"""Shared test fixtures.

``tool_missing``: what a test calls when a tool it needs (a C compiler, the Arm toolchain, QEMU,
the installed ``ilrs-auto`` script) is not there. CI installs every one of them, so under CI
(the ``CI`` environment variable set) a missing tool fails the test instead of skipping it:
nothing in CI passes by not running. On a developer's machine without the tool it is a skip
that names what to install.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NoReturn

import pytest

ToolMissing = Callable[[str], NoReturn]


@pytest.fixture(scope="session")
def tool_missing() -> ToolMissing:
    def handle(reason: str) -> NoReturn:
        if os.environ.get("CI"):
            pytest.fail(f"CI provides every tool the tests need, but: {reason}")
        pytest.skip(reason)

    return handle
