"""Report a structuring failure as one ValidationError naming the offending path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import cattrs
from cattrs.errors import (
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)

from relationkit.errors import ValidationError

T = TypeVar("T")


def _join(path: str, field: str) -> str:
    if not field:
        return path
    if not path or field.startswith("["):
        return path + field
    return f"{path}.{field}"


def _problems(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    """Yield ``(path, message)`` for each leaf of a cattrs validation error."""
    if isinstance(exc, IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, index_note in with_notes:
            yield from _problems(sub, f"{path}[{index_note.index!r}]")
        for sub in without:
            yield from _problems(sub, path)
    elif isinstance(exc, ClassValidationError):
        class_notes, others = exc.group_exceptions()
        for sub, attribute_note in class_notes:
            yield from _problems(sub, _join(path, attribute_note.name))
        for sub in others:
            yield from _problems(sub, path)
    elif isinstance(exc, ValidationError):
        yield _join(path, exc.field), exc.message
    elif isinstance(exc, KeyError):
        yield path, "is required"
    elif isinstance(exc, ForbiddenExtraKeysError):
        yield path, f"has unknown keys: {', '.join(sorted(exc.extra_fields))}"
    elif isinstance(exc, BaseExceptionGroup):
        for member in exc.exceptions:
            yield from _problems(member, path)
    else:
        # Never str(exc): it may quote the rejected value, which may be personal.
        yield path, f"could not be read ({type(exc).__name__})"


def _validation_error(exc: BaseException, root: str) -> ValidationError:
    """Turn a structuring failure into one readable ValidationError."""
    problems = list(_problems(exc, ""))
    if not problems:
        problems = [("", "is invalid")]
    listed = [(path or root, message) for path, message in problems]
    field, message = listed[0]
    if len(listed) > 1:
        shown = " | ".join(f"{p}: {m}" for p, m in listed[1:6])
        more = f" | and {len(listed) - 6} more" if len(listed) > 6 else ""
        message = f"{message} (also {shown}{more})"
    return ValidationError(field, message)


_STRUCTURE_ERRORS = (BaseValidationError, ValueError, TypeError, KeyError)


def _structure(converter: cattrs.Converter, data: Any, cls: type[T]) -> T:
    try:
        result: T = converter.get_structure_hook(cls)(data, cls)
    except _STRUCTURE_ERRORS as exc:
        raise _validation_error(exc, getattr(cls, "__name__", "data")) from exc
    return result
