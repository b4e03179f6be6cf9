"""Expected against actual: every step of the day notes what it should have done."""

from __future__ import annotations

import sys

import attrs


@attrs.define
class Checks:
    """The results of the day's steps, printed as they come, wrong ones kept."""

    wrong: list[str] = attrs.field(factory=list)

    def expect(self, what: str, expected: object, actual: object) -> None:
        """Print one result; keep it as wrong when ``actual`` is not ``expected``."""
        ok = expected == actual
        print(f"{what:<44} {actual}{'' if ok else f'   (expected {expected})'}")
        if not ok:
            self.wrong.append(f"{what}: expected {expected!r}, got {actual!r}")

    def heading(self, title: str) -> None:
        """Print a section title."""
        print(f"\n{title}\n{'-' * len(title)}")

    def exit_code(self) -> int:
        """Return 0 when every result was as expected, else list them on stderr and return 1."""
        for line in self.wrong:
            print(f"unexpected: {line}", file=sys.stderr)
        return 1 if self.wrong else 0
