"""Input checks shared by the domain and the services.

Each check raises :class:`~relationkit.errors.ValidationError` naming the field,
and never echoes the rejected value when it may be personal data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import pendulum

from relationkit.errors import ValidationError

__all__ = [
    "MAX_ID",
    "MAX_TEXT",
    "attributes",
    "aware_utc",
    "email",
    "identifier",
    "optional_text",
    "positive_int",
    "text",
]

MAX_ID = 128
MAX_NAME = 200
MAX_TEXT = 10_000
# Deliberately permissive: one "@", a dot in the domain, no spaces. Deliverability
# is the host's business; this only stops obvious garbage and typos.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def aware_utc(value: object, field: str) -> pendulum.DateTime:
    """Return ``value`` as a pendulum UTC datetime; reject naive or non-datetimes."""
    if not isinstance(value, dt.datetime):
        raise ValidationError(field, "must be a timezone-aware datetime")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValidationError(field, "must be timezone-aware (naive datetimes are ambiguous)")
    if isinstance(value, pendulum.DateTime):
        return value if value.tzinfo is pendulum.UTC else value.in_timezone(pendulum.UTC)
    return pendulum.instance(value).in_timezone(pendulum.UTC)


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
    return stripped


def _no_nul(value: str, field: str) -> None:
    # PostgreSQL cannot store NUL in text; refusing it everywhere keeps
    # every backend storing the same values.
    if "\x00" in value:
        raise ValidationError(field, "must not contain NUL characters")


def text(value: object, field: str, *, max_length: int = MAX_NAME) -> str:
    """Return a non-empty, stripped string of at most ``max_length`` characters."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    _no_nul(value, field)
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
    _no_nul(value, field)
    if len(value) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return value


def email(value: object, field: str = "email") -> str:
    """Return the email with its domain lower-cased; reject malformed ones."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    stripped = value.strip()
    if len(stripped) > 254 or _CONTROL.search(stripped) or not _EMAIL.match(stripped):
        raise ValidationError(field, "is not a valid email address")
    return stripped


def email_key(value: str) -> str:
    """Return the lookup key of an email: case-insensitive, as users expect."""
    return value.strip().lower()


def positive_int(value: object, field: str) -> int:
    """Return ``value`` if it is an int > 0 (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "must be an integer")
    if value <= 0:
        raise ValidationError(field, "must be positive")
    return value


def attributes(value: object, field: str = "attributes") -> dict[str, Any]:
    """Return a copy of a JSON-safe mapping of string keys."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(field, "must be a mapping")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValidationError(field, "keys must be non-empty strings")
        _no_nul(key, field)
        _json_safe(item, f"{field}[{key!r}]")
        out[key] = item
    return out


def _json_safe(value: object, field: str, depth: int = 0) -> None:
    if depth > 16:
        raise ValidationError(field, "is nested too deeply")
    if isinstance(value, str):
        _no_nul(value, field)
        return
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValidationError(field, "must be a finite number")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _json_safe(item, f"{field}[{i}]", depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(field, "keys must be strings")
            _no_nul(key, field)
            _json_safe(item, f"{field}[{key!r}]", depth + 1)
        return
    raise ValidationError(field, f"holds a {type(value).__name__}, which is not JSON-safe")
