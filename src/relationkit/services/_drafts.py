"""Purchase requests validated before any transaction: one order, or one row of a bulk import."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs
import pendulum

from relationkit import _validate as v
from relationkit.domain.purchases import LineItem, Purchase
from relationkit.errors import ValidationError
from relationkit.money import Money
from relationkit.services._people import Fields, fields

__all__ = ["Draft", "draft", "person_fields", "row_draft"]

_KEYS = frozenset(
    {
        "order_id",
        "customer_id",
        "customer_external_id",
        "email",
        "name",
        "occurred_at",
        "total",
        "lines",
        "points_used",
        "customer_updated_at",
        "hold_id",
    }
)


@attrs.frozen(kw_only=True)
class Draft:
    """A validated purchase request, before its customer is resolved."""

    order_id: str
    customer_id: str | None
    person: Fields | None
    occurred_at: pendulum.DateTime
    total: Money
    lines: tuple[LineItem, ...]
    points_used: int
    stamp: pendulum.DateTime | None = None
    label: str = ""
    hold_id: str | None = None

    @property
    def external_id(self) -> str | None:
        """The customer's external id when the row names the customer that way."""
        return self.person.external_id if self.person is not None else None

    @property
    def customer_stamp(self) -> pendulum.DateTime:
        """When the customer data the order carries was true: given, else the order's time."""
        return self.stamp if self.stamp is not None else self.occurred_at

    def differences(self, stored: Purchase, customer_id: str) -> list[str]:
        """Return the names of the fields where ``stored`` differs from this request."""
        ours: dict[str, object] = {
            "customer_id": customer_id,
            "occurred_at": self.occurred_at,
            "total": self.total,
            "lines": self.lines,
            "points_used": self.points_used,
            "hold_id": self.hold_id,
        }
        if self.hold_id is not None and not self.points_used:
            del ours["points_used"]  # the hold's points, whatever they were
        return [name for name, value in ours.items() if getattr(stored, name) != value]


def _line(value: object, field: str) -> LineItem:
    if isinstance(value, LineItem):
        return value
    if isinstance(value, Mapping):
        try:
            return LineItem(**value)
        except ValidationError as exc:
            raise ValidationError(f"{field}.{exc.field}", exc.message) from None
        except TypeError:
            raise ValidationError(field, "has unknown or missing keys") from None
    raise ValidationError(field, "must be a LineItem")


def draft(
    *,
    order_id: object,
    customer_id: object,
    occurred_at: object,
    total: object,
    lines: object,
    points_used: object,
    person: Fields | None = None,
    stamp: object = None,
    prefix: str = "",
    hold_id: object = None,
) -> Draft:
    """Validate one order's fields; ``prefix`` starts every field name in errors."""
    clean_order = v.identifier(order_id, f"{prefix}order_id")
    clean_customer = (
        v.identifier(customer_id, f"{prefix}customer_id") if customer_id is not None else None
    )
    if clean_customer is None and person is None:
        raise ValidationError(
            f"{prefix}customer_id", "is required (or customer_external_id, or email for a guest)"
        )
    if clean_customer is not None and person is not None:
        raise ValidationError(
            f"{prefix}customer_id", "give customer_id or customer_external_id/email, not both"
        )
    when = v.aware_utc(occurred_at, f"{prefix}occurred_at")
    total = v.money(total, f"{prefix}total")
    if total.minor < 0:
        raise ValidationError(f"{prefix}total", "must not be negative")
    if lines is None:
        lines = ()
    if isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
        raise ValidationError(f"{prefix}lines", "must be a sequence of LineItem")
    clean_lines = tuple(_line(item, f"{prefix}lines[{i}]") for i, item in enumerate(lines))
    for i, line in enumerate(clean_lines):
        if line.unit_price.currency != total.currency:
            raise ValidationError(
                f"{prefix}lines[{i}].unit_price",
                f"must be in the order's currency {total.currency}",
            )
    points_used = v.count(points_used, f"{prefix}points_used")
    return Draft(
        order_id=clean_order,
        customer_id=clean_customer,
        person=person,
        occurred_at=when,
        total=total,
        lines=clean_lines,
        points_used=points_used,
        stamp=v.aware_utc(stamp, f"{prefix}customer_updated_at") if stamp is not None else None,
        label=prefix,
        hold_id=v.identifier(hold_id, f"{prefix}hold_id") if hold_id is not None else None,
    )


def person_fields(
    external_id: object, email: object, name: object, prefix: str = ""
) -> Fields | None:
    """The customer an order names by external id, or by email alone (a guest)."""
    if external_id is None and email is None:
        if name is not None:
            raise ValidationError(f"{prefix}name", "needs customer_external_id or email")
        return None
    try:
        return fields(external_id=external_id, email=email, name=name)
    except ValidationError as exc:
        field = "customer_external_id" if exc.field == "external_id" else exc.field
        raise ValidationError(f"{prefix}{field}", exc.message) from None


def row_draft(row: object, index: int) -> Draft:
    prefix = f"rows[{index}]."
    if not isinstance(row, Mapping):
        raise ValidationError(f"rows[{index}]", "must be a mapping of record() keywords")
    unknown = set(row) - _KEYS
    if unknown:
        raise ValidationError(f"{prefix}{sorted(unknown)[0]}", "is not a purchase field")
    person = None
    if row.get("customer_id") is None:
        person = person_fields(
            row.get("customer_external_id"), row.get("email"), row.get("name"), prefix
        )
    elif row.get("customer_external_id") is not None:
        raise ValidationError(
            f"{prefix}customer_id", "give customer_id or customer_external_id, not both"
        )
    return draft(
        order_id=row.get("order_id"),
        customer_id=row.get("customer_id"),
        occurred_at=row.get("occurred_at"),
        total=row.get("total"),
        lines=row.get("lines"),
        points_used=row.get("points_used", 0),
        person=person,
        stamp=row.get("customer_updated_at"),
        prefix=prefix,
        hold_id=row.get("hold_id"),
    )
