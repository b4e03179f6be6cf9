"""What every service shares: a reference to its kit."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relationkit.kit import RelationKit

__all__ = ["Service"]


class Service:
    """Base of the kit's services."""

    def __init__(self, kit: RelationKit) -> None:
        self._kit = kit

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
