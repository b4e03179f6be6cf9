"""Helpers for testing code that uses relationkit, shipped in the wheel.

Submodules are opt-in and may need test-only packages:
:mod:`relationkit.testing.strategies` needs Hypothesis. Importing
:mod:`relationkit` or this package imports none of them.
"""

from __future__ import annotations

__all__: list[str] = []
