"""What reading one attachment may use, and the errors that say it could not be read."""

from __future__ import annotations

import time
from dataclasses import dataclass

TOO_LARGE = "too_large"
UNREADABLE = "unreadable"
PARTIAL = "partial"


class UnreadableAttachment(Exception):
    code = UNREADABLE

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TooLarge(UnreadableAttachment):
    """A limit of `Limits` was hit: the file is listed as "unscanned: too large"."""

    code = TOO_LARGE

    def __init__(self, detail: str):
        super().__init__(f"unscanned: too large ({detail})")


@dataclass(frozen=True)
class Limits:
    """Per attachment: decompressed bytes of a zip package, XML elements, seconds."""

    max_bytes: int = 50 * 1024 * 1024
    max_elements: int = 1_000_000
    max_seconds: float = 30.0


DEFAULT_LIMITS = Limits()


class Budget:
    """What one attachment may still use; `check` raises TooLarge when time is up."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS):
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds
        self.bytes = 0
        self.elements = 0

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise TooLarge(f"not read within {self.limits.max_seconds:g} s")

    def add_bytes(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.limits.max_bytes:
            raise TooLarge(f"expands to more than {self.limits.max_bytes} bytes")

    def add_elements(self, n: int) -> None:
        self.elements += n
        if self.elements > self.limits.max_elements:
            raise TooLarge(f"more than {self.limits.max_elements} XML elements")
