"""Input checks shared by the domain and the services.

Each check raises :class:`~relationkit.errors.ValidationError` naming the field,
and never echoes the rejected value when it may be personal data.

The checks are also where the supported ranges live, so every backend stores
the same values or refuses them with the same error before a driver sees them:

- text: no NUL character and no lone surrogate (``"\\ud800"``), which
  PostgreSQL cannot store and UTF-8 cannot encode;
- instants: from :data:`MIN_INSTANT` to :data:`MAX_INSTANT` in UTC, so that
  the local date of any accepted instant exists in every time zone;
- counts (points, quantities, limits): at most :data:`MAX_COUNT`;
- money: at most :data:`~relationkit.money.MAX_MINOR` minor units either way;
- JSON attributes: integers within the signed 64-bit range, finite floats,
  and at most :data:`MAX_ATTRIBUTE_BYTES` of compact UTF-8 JSON per record
  unless the kit is opened with another ``max_attribute_bytes``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

import pendulum

from relationkit.errors import ValidationError
from relationkit.money import MAX_MINOR, Money

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_ATTRIBUTE_BYTES",
    "MAX_COUNT",
    "MAX_ID",
    "MAX_INSTANT",
    "MAX_TEXT",
    "MIN_INSTANT",
    "attribute_filter",
    "attributes",
    "attributes_size",
    "aware_utc",
    "count",
    "email",
    "identifier",
    "merge_patch",
    "money",
    "optional_text",
    "positive_int",
    "text",
    "timezone",
]

MAX_ID = 128
MAX_NAME = 200
MAX_TEXT = 10_000

MAX_COUNT = 10**12
"""The largest count accepted anywhere: points in one operation, quantities, limits.

A ledger can then hold millions of maximal entries before a balance leaves
the signed 64-bit range that the SQL backends store.
"""

MAX_ATTRIBUTE_BYTES = 16_384
"""The default cap on a customer's or an account's attributes: 16 KiB of compact JSON.

Counted in UTF-8 bytes of ``json.dumps(attributes, separators=(",", ":"),
ensure_ascii=False)``, after an upsert's merge. ``rk.open(...,
max_attribute_bytes=N)`` sets another cap.
"""

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# One day inside datetime's own range at each end: no UTC offset reaches a day,
# so the local date of an accepted instant exists in every time zone.
MIN_INSTANT = pendulum.datetime(1, 1, 2, tz="UTC")
"""The earliest instant relationkit accepts (0001-01-02 00:00 UTC)."""
MAX_INSTANT = pendulum.datetime(9998, 12, 31, 23, 59, 59, 999_999, tz="UTC")
"""The latest instant relationkit accepts (the last microsecond of 9998 UTC)."""

_RANGE = "must fall between 0001-01-02 and 9998-12-31 (UTC)"
# Deliberately permissive: one "@", a dot in the domain, no spaces. Deliverability
# is the host's business; this only stops obvious garbage and typos.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_DEPTH = 16


def aware_utc(value: object, field: str) -> pendulum.DateTime:
    """Return ``value`` as a pendulum UTC datetime.

    Raises:
        ValidationError: if ``value`` is not a datetime, is naive, or falls
            outside :data:`MIN_INSTANT` .. :data:`MAX_INSTANT` once in UTC.
    """
    if not isinstance(value, dt.datetime):
        raise ValidationError(field, "must be a timezone-aware datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(field, "must be timezone-aware (naive datetimes are ambiguous)")
    try:
        if isinstance(value, pendulum.DateTime):
            utc = value if value.tzinfo is pendulum.UTC else value.in_timezone(pendulum.UTC)
        else:
            utc = pendulum.instance(value).in_timezone(pendulum.UTC)
    except OverflowError:
        # Its UTC form is before year 1 or after year 9999.
        raise ValidationError(field, _RANGE) from None
    if not MIN_INSTANT <= utc <= MAX_INSTANT:
        raise ValidationError(field, _RANGE)
    return utc


def _storable(value: str, field: str) -> None:
    # PostgreSQL cannot store NUL in text and UTF-8 cannot encode a lone
    # surrogate; refusing both everywhere keeps every backend storing the
    # same values (memory would keep them, SQL would fail).
    if "\x00" in value:
        raise ValidationError(field, "must not contain NUL characters")
    if not value.isascii() and _SURROGATE.search(value):
        raise ValidationError(field, "must be valid Unicode (no lone surrogates)")


def identifier(value: object, field: str, *, max_length: int = MAX_ID) -> str:
    """Return a non-empty, stripped identifier of at most ``max_length`` characters."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    stripped = value.strip()
    if not stripped:
        raise ValidationError(field, "must not be empty")
    if len(stripped) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    if _CONTROL.search(stripped):
        raise ValidationError(field, "must not contain control characters")
    _storable(stripped, field)
    return stripped


def text(value: object, field: str, *, max_length: int = MAX_NAME) -> str:
    """Return a non-empty, stripped string of at most ``max_length`` characters."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    _storable(value, field)
    stripped = value.strip()
    if not stripped:
        raise ValidationError(field, "must not be empty")
    if len(stripped) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return stripped


def optional_text(value: object, field: str, *, max_length: int = MAX_TEXT) -> str | None:
    """Return ``None`` or a string of at most ``max_length`` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string or None")
    _storable(value, field)
    if len(value) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return value


def email(value: object, field: str = "email") -> str:
    """Return the email stripped; reject malformed ones."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    stripped = value.strip()
    if (
        len(stripped) > 254
        or _CONTROL.search(stripped)
        or not _EMAIL.match(stripped)
        or (not stripped.isascii() and _SURROGATE.search(stripped))
    ):
        raise ValidationError(field, "is not a valid email address")
    return stripped


def email_key(value: str) -> str:
    """Return the lookup key of an email: case-insensitive, as users expect."""
    return value.strip().lower()


def positive_int(value: object, field: str, *, maximum: int = MAX_COUNT) -> int:
    """Return ``value`` if it is an int in ``1..maximum`` (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be an integer")
    if value <= 0:
        raise ValidationError(field, "must be positive")
    if value > maximum:
        raise ValidationError(field, f"must be at most {maximum:_}")
    return value


def count(value: object, field: str, *, maximum: int = MAX_COUNT) -> int:
    """Return ``value`` if it is an int in ``0..maximum`` (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be an integer")
    if value < 0:
        raise ValidationError(field, "must not be negative")
    if value > maximum:
        raise ValidationError(field, f"must be at most {maximum:_}")
    return value


def money(value: object, field: str) -> Money:
    """Return ``value`` if it is a Money of at most ``MAX_MINOR`` minor units either way."""
    if not isinstance(value, Money):
        raise ValidationError(field, "must be a Money")
    if abs(value.minor) > MAX_MINOR:
        raise ValidationError(
            field, f"must be at most {MAX_MINOR:_} minor units ({value.currency})"
        )
    return value


def attributes(value: object, field: str = "attributes") -> dict[str, Any]:
    """Return a deep copy of a JSON-safe mapping of non-empty string keys, as plain JSON.

    Tuples become lists and str/int/float subclasses (enums) their plain
    values, so every backend returns what the memory one does. Nested
    values are named by path: ``attributes['address']['lines'][0]``.

    Raises:
        ValidationError: on a non-mapping, a bad key, a value that JSON cannot
            hold the same way everywhere (NaN, infinities, integers outside
            the signed 64-bit range, lone surrogates, NUL), or nesting deeper
            than 16 levels.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(field, "must be a mapping")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValidationError(field, "keys must be non-empty strings")
        _storable(key, field)
        out[str.__str__(key)] = _json(item, f"{field}[{key!r}]", 0)
    return out


def _json(value: object, field: str, depth: int) -> Any:
    """Return ``value`` as plain JSON, or raise naming ``field``."""
    if depth > _JSON_DEPTH:
        raise ValidationError(field, "is nested too deeply")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        _storable(value, field)
        return str.__str__(value)
    if isinstance(value, int):
        # Also keeps json.dumps clear of Python's limit on int-to-str digits.
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValidationError(field, "must be an integer within the signed 64-bit range")
        return int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValidationError(field, "must be a finite number")
        return float(value)
    if isinstance(value, list | tuple):
        return [_json(item, f"{field}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(field, "keys must be strings")
            _storable(key, field)
            out[str.__str__(key)] = _json(item, f"{field}[{key!r}]", depth + 1)
        return out
    raise ValidationError(field, f"holds a {type(value).__name__}, which is not JSON-safe")


def attributes_size(value: dict[str, Any], field: str, *, max_bytes: int) -> dict[str, Any]:
    """Return ``value`` if its compact UTF-8 JSON is at most ``max_bytes`` long.

    Raises:
        ValidationError: naming ``field`` and the cap, if it is longer.
    """
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > max_bytes:
        raise ValidationError(
            field, f"take {size:_} bytes of JSON; at most {max_bytes:_} are allowed"
        )
    return value


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Return ``target`` with ``patch`` applied as a JSON merge patch (RFC 7386).

    A key set to None is removed; a mapping merges into a mapping key by key;
    any other value replaces what was there. Neither argument is changed.
    """
    out = dict(target)
    for key, item in patch.items():
        if item is None:
            out.pop(key, None)
        elif isinstance(item, dict):
            current = out.get(key)
            out[key] = merge_patch(current if isinstance(current, dict) else {}, item)
        else:
            out[key] = item
    return out


_FILTER_KEY = re.compile(r'^[^"\\\x00-\x1f]{1,64}$')


def attribute_filter(value: object, field: str = "attributes") -> dict[str, str | int | bool]:
    """Return a search's attribute equality filter: top-level keys to scalars.

    Values may be strings, integers or booleans (``True`` matches only a JSON
    ``true``, never ``1``). Keys are at most 64 characters without quotes,
    backslashes or control characters.

    Raises:
        ValidationError: on anything else.
    """
    if not isinstance(value, Mapping) or not value:
        raise ValidationError(field, "must be a non-empty mapping of keys to values")
    out: dict[str, str | int | bool] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _FILTER_KEY.match(key):
            raise ValidationError(
                field, "keys must be 1-64 characters without quotes or backslashes"
            )
        _storable(key, field)
        if isinstance(item, bool):
            out[key] = item
        elif isinstance(item, int):
            out[key] = _json(item, f"{field}[{key!r}]", 0)
        elif isinstance(item, str):
            _storable(item, f"{field}[{key!r}]")
            out[key] = str.__str__(item)
        else:
            raise ValidationError(f"{field}[{key!r}]", "must be a str, an int or a bool")
    return out


def timezone(value: object, field: str = "timezone") -> str:
    """Return ``value`` if it is an IANA time zone name (``"Europe/Paris"``).

    Raises:
        ValidationError: on anything else.
    """
    name = identifier(value, field, max_length=64)
    try:
        pendulum.timezone(name)
    except Exception:
        raise ValidationError(field, "must be an IANA time zone name") from None
    return name
