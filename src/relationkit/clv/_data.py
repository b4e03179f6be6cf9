"""Customer summaries in, checked arrays out; identical customers folded into weights.

A summary is what ``kit.scores.purchase_summary(as_of=..., unit=...)`` yields
(rows with ``account_id``, ``frequency``, ``recency``, ``T`` and
``monetary_value``), a pandas DataFrame with those columns, or plain arrays
(:meth:`SummaryData.from_arrays`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt
import pendulum

from relationkit.errors import ValidationError

__all__ = ["Compressed", "SummaryData", "SummaryRow", "TimeUnit", "coerce_summary"]

TimeUnit = Literal["days", "weeks"]
"""The unit of ``recency`` and ``T``: calendar days or weeks of seven days."""

FloatArray = npt.NDArray[np.float64]
_UNITS: tuple[TimeUnit, ...] = ("days", "weeks")


@runtime_checkable
class SummaryRow(Protocol):
    """One customer's purchase summary, as the kit's purchase summary yields it.

    ``frequency`` counts repeat transactions (distinct purchase days minus
    one); ``recency`` is the time from the first to the last purchase and
    ``T`` the time from the first purchase to the end of the data window,
    both in the summary's unit; ``monetary_value`` is the mean value of the
    repeat transactions in major currency units (0 without repeats).
    """

    @property
    def account_id(self) -> str: ...
    @property
    def frequency(self) -> int: ...
    @property
    def recency(self) -> float: ...
    @property
    def T(self) -> float: ...
    @property
    def monetary_value(self) -> float: ...


@attrs.frozen(kw_only=True, eq=False)
class SummaryData:
    """Checked summary columns, one entry per customer, plus the data window.

    Attributes:
        ids: the account ids (``"0"``, ``"1"``, ... when the input had none).
        frequency: repeat transactions.
        recency: time from first to last purchase, in ``unit``.
        T: time from first purchase to ``as_of``, in ``unit``.
        monetary_value: mean repeat-transaction value (0 without repeats).
        unit: the time unit of ``recency`` and ``T``.
        as_of: the end of the data window, when known.
        since: the start of the data window, when known.
    """

    ids: tuple[str, ...]
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    unit: TimeUnit
    as_of: dt.date | None = None
    since: dt.date | None = None

    @classmethod
    def from_arrays(
        cls,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        monetary_value: npt.ArrayLike | None = None,
        *,
        ids: Sequence[str] | None = None,
        unit: str = "weeks",
        as_of: dt.date | None = None,
        since: dt.date | None = None,
    ) -> SummaryData:
        """Check plain columns and return them as a summary.

        Raises:
            ValidationError: on a wrong shape, a non-finite or negative value,
                a fractional frequency, ``recency > T``, a one-time buyer
                with a non-zero recency, or an unknown unit.
        """
        freq = _column("frequency", frequency)
        n = freq.shape[0]
        rec = _column("recency", recency, n)
        age = _column("T", T, n)
        money = (
            np.zeros(n) if monetary_value is None else _column("monetary_value", monetary_value, n)
        )
        if np.any(freq != np.round(freq)):
            raise ValidationError("frequency", "must be whole numbers of repeat transactions")
        for name, values in (("frequency", freq), ("recency", rec), ("T", age)):
            if np.any(values < 0):
                raise ValidationError(name, "must not be negative")
        if np.any(rec > age * (1 + 1e-12)):
            raise ValidationError("recency", "must not exceed T (last purchase after the window)")
        if np.any((freq == 0) & (rec != 0)):
            raise ValidationError("recency", "must be 0 for customers without repeat purchases")
        if ids is None:
            names = tuple(str(i) for i in range(n))
        else:
            names = tuple(str(i) for i in ids)
            if len(names) != n:
                raise ValidationError("account_id", f"{len(names)} ids for {n} customers")
        return cls(
            ids=names,
            frequency=freq,
            recency=rec,
            T=age,
            monetary_value=money,
            unit=check_unit(unit),
            as_of=_date(as_of, "as_of"),
            since=_date(since, "since"),
        )

    def __len__(self) -> int:
        """Return the number of customers."""
        return len(self.ids)


@attrs.frozen(kw_only=True, eq=False)
class Compressed:
    """Distinct rows of some columns and how many customers share each.

    Attributes:
        columns: one array per input column, of the distinct rows.
        weights: how many customers each distinct row stands for.
        inverse: for each customer, the index of its distinct row.
    """

    columns: tuple[FloatArray, ...]
    weights: FloatArray
    inverse: npt.NDArray[np.intp]

    @classmethod
    def of(cls, *columns: FloatArray) -> Compressed:
        """Fold identical rows of ``columns`` into one weighted row."""
        stacked = np.column_stack(columns)
        unique, inverse, counts = np.unique(
            stacked, axis=0, return_inverse=True, return_counts=True
        )
        return cls(
            columns=tuple(np.ascontiguousarray(unique[:, i]) for i in range(unique.shape[1])),
            weights=counts.astype(np.float64),
            inverse=inverse.reshape(-1),
        )


def check_unit(unit: str) -> TimeUnit:
    """Return ``unit`` if it is ``"days"`` or ``"weeks"``.

    Raises:
        ValidationError: for any other unit (months are not a fixed length).
    """
    for known in _UNITS:
        if unit == known:
            return known
    raise ValidationError(
        "unit", f"must be 'days' or 'weeks', not {unit!r} (months have no fixed length)"
    )


def coerce_summary(
    summary: object,
    *,
    unit: str | None = None,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    default_unit: str | None = None,
) -> SummaryData:
    """Return the summary as checked columns, whatever form it came in.

    The summary's own ``unit``, ``as_of``, ``as_of_day``, ``since`` and
    ``timezone`` are read from its attributes, or from ``DataFrame.attrs``
    for a pandas DataFrame (where ``PurchaseSummary.to_pandas()`` keeps
    them). The window's end is ``as_of_day`` when given (the calendar day in
    the kit's time zone), else the day of ``as_of`` in ``timezone`` (else in
    its own zone); ``since`` is read the same way.

    A summary that does not say its unit (a plain DataFrame, a list of rows)
    needs ``unit=``: guessing days or weeks would scale every rate wrongly
    without a sign of it. :class:`SummaryData` always has a unit. Only a
    caller whose result does not depend on time (the spend model) gives a
    ``default_unit``.

    Args:
        summary: a :class:`SummaryData`, a pandas DataFrame with the columns
            ``frequency``, ``recency``, ``T`` (and optionally
            ``monetary_value``, ``account_id``), or an iterable of
            :class:`SummaryRow` (such as ``kit.scores.purchase_summary()``).
        unit: overrides the summary's unit; required when it has none.
        as_of: overrides the summary's end of window.
        since: overrides the summary's start of window.
        default_unit: the unit to assume when neither the summary nor
            ``unit`` says; None (the default) refuses such a summary.

    Returns:
        The checked columns with the summary's unit and window.

    Raises:
        ValidationError: if the summary has the wrong shape or bad values, or
            neither it nor ``unit=`` gives the unit.
    """
    meta = _metadata(summary)
    found_unit = unit or meta.get("unit") or default_unit
    if found_unit is None:
        raise ValidationError(
            "unit",
            "the summary does not say its unit: pass unit='days' or unit='weeks'",
        )
    zone = meta.get("timezone")
    found_as_of = as_of or _date(meta.get("as_of_day"), "as_of_day")
    found_as_of = found_as_of or _date(meta.get("as_of"), "as_of", zone)
    found_since = since or _date(meta.get("since"), "since", zone)
    if isinstance(summary, SummaryData):
        return SummaryData.from_arrays(
            summary.frequency,
            summary.recency,
            summary.T,
            summary.monetary_value,
            ids=summary.ids,
            unit=found_unit,
            as_of=found_as_of,
            since=found_since,
        )
    if _is_frame(summary):
        return _from_frame(summary, found_unit, found_as_of, found_since)
    if not isinstance(summary, Iterable):
        raise ValidationError("summary", "must be rows, a DataFrame or SummaryData")
    ids: list[str] = []
    rows: list[tuple[float, float, float, float]] = []
    for n, row in enumerate(summary):
        try:
            ids.append(str(row.account_id))
            rows.append(
                (
                    float(row.frequency),
                    float(row.recency),
                    float(row.T),
                    float(row.monetary_value),
                )
            )
        except AttributeError as exc:
            raise ValidationError(f"summary[{n}]", f"row has no attribute {exc.name!r}") from exc
    table = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
    return SummaryData.from_arrays(
        table[:, 0],
        table[:, 1],
        table[:, 2],
        table[:, 3],
        ids=ids,
        unit=found_unit,
        as_of=found_as_of,
        since=found_since,
    )


_METADATA = ("unit", "as_of", "as_of_day", "since", "timezone")


def _is_frame(summary: object) -> bool:
    return getattr(summary, "columns", None) is not None and hasattr(summary, "__getitem__")


def _metadata(summary: object) -> dict[str, Any]:
    """The summary's unit and window: ``DataFrame.attrs`` for a frame, else its attributes."""
    if _is_frame(summary):
        # getattr on a DataFrame would return a column of that name.
        attrs_ = getattr(summary, "attrs", None)
        source: dict[str, Any] = dict(attrs_) if isinstance(attrs_, dict) else {}
        return {k: source[k] for k in _METADATA if source.get(k) is not None}
    found = {k: getattr(summary, k, None) for k in _METADATA}
    return {k: v for k, v in found.items() if v is not None}


def _from_frame(
    frame: Any,
    unit: str,
    as_of: dt.date | None,
    since: dt.date | None,
) -> SummaryData:
    columns = set(frame.columns)
    missing = [c for c in ("frequency", "recency", "T") if c not in columns]
    if missing:
        raise ValidationError("summary", f"DataFrame lacks column(s) {', '.join(missing)}")
    ids = (
        [str(v) for v in frame["account_id"]]
        if "account_id" in columns
        else [str(v) for v in frame.index]
    )
    money = frame["monetary_value"].to_numpy() if "monetary_value" in columns else None
    return SummaryData.from_arrays(
        frame["frequency"].to_numpy(),
        frame["recency"].to_numpy(),
        frame["T"].to_numpy(),
        money,
        ids=ids,
        unit=unit,
        as_of=as_of,
        since=since,
    )


def _column(name: str, values: npt.ArrayLike, n: int | None = None) -> FloatArray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(name, "must be numbers") from exc
    if array.ndim != 1:
        raise ValidationError(name, f"must be one-dimensional, not of shape {array.shape}")
    if n is not None and array.shape[0] != n:
        raise ValidationError(name, f"has {array.shape[0]} values for {n} customers")
    if not np.all(np.isfinite(array)):
        raise ValidationError(name, "must be finite (no NaN or infinity)")
    return array


def _date(value: object, name: str, zone: object = None) -> dt.date | None:
    """The calendar day of ``value``: a datetime's day in ``zone`` (else its own zone)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if zone is not None and value.tzinfo is not None:
            if not isinstance(zone, str):
                raise ValidationError("timezone", f"must be a zone name, not {zone!r}")
            try:
                local = pendulum.instance(value).in_timezone(zone)
            except (ValueError, LookupError) as exc:
                raise ValidationError("timezone", f"unknown time zone {zone!r}") from exc
            return dt.date(local.year, local.month, local.day)
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ValidationError(name, f"must be a date, not {type(value).__name__}")
