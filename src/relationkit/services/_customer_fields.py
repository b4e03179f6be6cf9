"""Customer fields as the services take them: validated, and dated against what is stored.

:class:`Fields` is what ``kit.customers`` and ``kit.purchases`` pass to
:class:`~relationkit.services._people.People`: every field validated, None
for what was not given. The webhook rules that compare dates live here too:
data older than what a record holds is stale (:func:`is_stale`), and a
record keeps the newest date it was given (:func:`newest`).
"""

from __future__ import annotations

from typing import Any

import attrs
import pendulum

from relationkit import _validate as v

__all__ = ["Fields", "as_new", "b2c_name", "fields", "is_stale", "newest"]


@attrs.frozen(kw_only=True)
class Fields:
    """Validated customer fields (None: not given).

    ``attributes`` is a JSON merge patch for an upsert (a None value removes
    a key) and the whole attributes for a create.
    """

    email: str | None
    name: str | None
    external_id: str | None
    role: str | None
    attributes: dict[str, Any] | None
    timezone: str | None = None


def fields(
    *,
    email: object = None,
    name: object = None,
    external_id: object = None,
    role: object = None,
    attributes: object = None,
    timezone: object = None,
) -> Fields:
    """Validate customer fields given as keywords (None: not given)."""
    return Fields(
        email=v.email(email) if email is not None else None,
        name=v.text(name, "name") if name is not None else None,
        external_id=v.identifier(external_id, "external_id") if external_id is not None else None,
        role=v.text(role, "role", max_length=64) if role is not None else None,
        attributes=v.attributes(attributes) if attributes is not None else None,
        timezone=v.timezone(timezone) if timezone is not None else None,
    )


def as_new(patch: Fields) -> Fields:
    """Return upsert fields as a new customer's: the merge patch applied to nothing."""
    if patch.attributes is None:
        return patch
    return attrs.evolve(patch, attributes=v.merge_patch({}, patch.attributes))


def b2c_name(name: str | None, external_id: str | None) -> str:
    """The name of a B2C account: its person's name, else their external id."""
    return name or external_id or "customer"


def is_stale(stamp: pendulum.DateTime | None, stored: pendulum.DateTime | None) -> bool:
    """Whether data stamped ``stamp`` is older than what a record holds (``stored``)."""
    return stamp is not None and stored is not None and stamp < stored


def newest(
    stamp: pendulum.DateTime | None, stored: pendulum.DateTime | None
) -> pendulum.DateTime | None:
    """Return the later of ``stamp`` and ``stored`` (either may be None)."""
    if stamp is None:
        return stored
    return stamp if stored is None or stamp > stored else stored
