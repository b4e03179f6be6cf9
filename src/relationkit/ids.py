"""Identifiers: a type prefix and a ULID, so ids are unique and sort by creation.

``cus_01J9Z3...``. The 26-character ULID body encodes a millisecond timestamp
from the kit's clock and 80 bits that are random at the start of each
millisecond and incremented within it, so ids made by one generator sort in
creation order even when the clock is frozen.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import NewType, Protocol

from relationkit.clock import Clock

__all__ = [
    "AccountId",
    "CustomerId",
    "IdGenerator",
    "UlidGenerator",
]

CustomerId = NewType("CustomerId", str)
AccountId = NewType("AccountId", str)

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80


_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


def _encode(value: int, length: int) -> str:
    """Crockford base32 of ``value`` in ``length`` characters (``length`` even)."""
    pairs = []
    for _ in range(length // 2):
        pairs.append(_PAIRS[value & 1023])
        value >>= 10
    return "".join(reversed(pairs))


class IdGenerator(Protocol):
    """Anything that makes a new unique id for a given prefix (``"cus"``)."""

    def new(self, prefix: str) -> str:
        """Return a new id ``f"{prefix}_{body}"``."""
        ...


class UlidGenerator:
    """Monotonic ULIDs timed by a clock.

    Args:
        clock: source of the timestamp part.
        randbits: source of randomness (``os.urandom`` based by default);
            inject a seeded one for reproducible ids.
    """

    def __init__(self, clock: Clock, randbits: Callable[[int], int] | None = None) -> None:
        self._clock = clock
        self._randbits = randbits or (lambda bits: int.from_bytes(os.urandom(bits // 8)))
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_rand = 0
        self._stamp = (-1, "")

    def new(self, prefix: str) -> str:
        """Return a new id with ``prefix``, later than every id made before."""
        ms = int(self._clock.now().timestamp() * 1000)
        with self._lock:
            if ms <= self._last_ms:
                # Same (or earlier, with a clock set back) millisecond: keep order.
                ms = self._last_ms
                rand = self._last_rand + 1
            else:
                rand = self._randbits(_RANDOM_BITS) >> 1  # headroom for increments
            self._last_ms, self._last_rand = ms, rand
            stamp_ms, stamp = self._stamp
            if stamp_ms != ms:
                stamp = _encode(ms, 10)
                self._stamp = (ms, stamp)
        return f"{prefix}_{stamp}{_encode(rand, 16)}"
