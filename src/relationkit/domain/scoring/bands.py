"""Bands: named score ranges ("cold", "warm", "hot") a score falls into."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from relationkit.errors import ValidationError

__all__ = ["Band", "Bands"]


@attrs.frozen(kw_only=True)
class Band:
    """A named range of scores starting at ``at_least``."""

    name: str
    at_least: int


def _check(instance: Bands, _attribute: object, value: tuple[Band, ...]) -> None:
    if not value:
        raise ValidationError("bands", "must name at least one band")
    names = [b.name for b in value]
    if len(set(names)) != len(names):
        raise ValidationError("bands", "must not repeat a band name")
    for band in value:
        if not band.name or len(band.name) > 32:
            raise ValidationError("bands", "a band name must be 1 to 32 characters")
    bounds = [b.at_least for b in value]
    if bounds != sorted(set(bounds)):
        raise ValidationError("bands", "must start at strictly increasing scores")


def _tuple(value: Sequence[Band]) -> tuple[Band, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Bands:
    """Score bands in increasing order; a score below the first falls in the first.

    Example:
        >>> Bands.of({"cold": 0, "warm": 30, "hot": 60}).band(45)
        'warm'

    Attributes:
        bands: the bands, each with its name and lowest score, lowest first.
    """

    bands: tuple[Band, ...] = attrs.field(converter=_tuple, validator=_check)

    @classmethod
    def of(cls, bounds: Mapping[str, int]) -> Bands:
        """Build bands from ``{name: lowest score}`` (ordered by score).

        Raises:
            ValidationError: no band, a repeated bound or a bad name.
        """
        for name, bound in bounds.items():
            if isinstance(bound, bool) or not isinstance(bound, int):
                raise ValidationError("bands", f"the bound of {name!r} must be an int")
        ordered = sorted(bounds.items(), key=lambda item: item[1])
        return cls(bands=tuple(Band(name=n, at_least=b) for n, b in ordered))

    @property
    def names(self) -> tuple[str, ...]:
        """The band names, lowest first."""
        return tuple(b.name for b in self.bands)

    def band(self, score: int) -> str:
        """Return the name of the band ``score`` falls into."""
        found = self.bands[0].name
        for band in self.bands:
            if score >= band.at_least:
                found = band.name
        return found
