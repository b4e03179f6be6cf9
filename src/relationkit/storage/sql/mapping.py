"""Each stored model's columns and converters, declared once.

A shape (:class:`~relationkit.storage.sql.shape.Shape`) lists a table's
columns in order, each with what it holds of the model: the attribute as is,
an enum's value, Money as minor units plus a currency, a value derived on
write (the lower-cased email), the parent's key and the position of a child
row (a purchase's lines, an entry's allocations), or nothing at all (an
autoincrement ``seq``). Everything else derives from it:

- the ``Column`` objects of :mod:`~relationkit.storage.sql.schema.tables`;
- ``shape.rows``: the INSERT parameters of models (or of parents' children);
- ``shape.load``: the model from a row of ``select(table)``;
- ``shape.update_params`` and ``shape.update_values``: the binds and SET
  clause of an UPDATE of the mutable fields.

The converters are compiled into one small function per shape (as attrs
does for ``__init__``): a backfill maps hundreds of thousands of rows, and a
dict literal costs a fraction of a loop over field objects. A field added to
a model is added here, once.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String, Text

from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.domain.holds import Hold, HoldStatus
from relationkit.domain.interactions import Channel, Direction, Interaction
from relationkit.domain.ledger import Allocation, EntryKind, LedgerEntry
from relationkit.domain.lifecycle import StageChange
from relationkit.domain.parked import ParkedRefund
from relationkit.domain.points import OpenLot, PointsState
from relationkit.domain.purchases import LineItem, Purchase, Refund
from relationkit.domain.scoring.kept import KeptScore, ScoreKind
from relationkit.storage.ports.core import IdempotencyRecord
from relationkit.storage.sql.decimals import DecimalText
from relationkit.storage.sql.shape import (
    Col,
    Shape,
    choice,
    derived,
    flag,
    money,
    parent_key,
    position,
    serial,
    value,
)
from relationkit.storage.sql.types import UtcDateTime, json_type, key_type

__all__ = [
    "ACCOUNT",
    "ALLOCATION",
    "CUSTOMER",
    "ENTRY",
    "HOLD",
    "IDEMPOTENCY",
    "INTERACTION",
    "LINE",
    "META",
    "OPEN_LOT",
    "PARKED_REFUND",
    "POINTS_STATE",
    "PURCHASE",
    "REFUND",
    "SCORE",
    "SCORE_SNAPSHOT",
    "SHAPES",
    "STAGE_CHANGE",
    "Shape",
]

# Lengths: ids we generate are ~30 characters; the host's keys (order id,
# external id, refund id) are validated to at most 128; emails to 254.
_ID = 64
_HOST_KEY = 128
_KEY = 255
_EMAIL = 320
_WORD = 64
_BAND = 32


META = Shape(
    "meta",
    dict,
    [
        [Col("key", String(_WORD), dump="m['key']", attr="key")],
        [Col("value", String(_KEY), dump="m['value']", attr="value")],
    ],
    key=("key",),
)
ACCOUNT = Shape(
    "accounts",
    Account,
    [
        value("id", key_type(_ID)),
        value("name", Text()),
        choice("kind", AccountKind, 8),
        value("stage", String(_KEY)),
        value("stage_since", UtcDateTime()),
        value("created_at", UtcDateTime()),
        value("version", BigInteger()),
        value("tier", String(_KEY), nullable=True),
        # Schema 5 (the shop's ids and rules): nullable, so adding them keeps old rows.
        value("external_id", key_type(_HOST_KEY), nullable=True),
        [
            Col(
                "attributes",
                json_type(),
                True,
                dump="m.attributes",
                attr="attributes",
                load="({} or dict())",
            )
        ],
        value("timezone", String(_WORD), nullable=True),
        value("source_updated_at", UtcDateTime(), nullable=True),
    ],
    immutable=("kind", "created_at"),
)
CUSTOMER = Shape(
    "customers",
    Customer,
    [
        value("id", key_type(_ID)),
        value("account_id", key_type(_ID)),
        value("email", String(_EMAIL), nullable=True),
        derived("email_key", String(_EMAIL), "email_key(m.email) if m.email else None"),
        value("name", Text(), nullable=True),
        value("external_id", key_type(_HOST_KEY), nullable=True),
        value("role", String(_KEY), nullable=True),
        value("attributes", json_type()),
        value("created_at", UtcDateTime()),
        value("updated_at", UtcDateTime()),
        value("timezone", String(_WORD), nullable=True),
        value("source_updated_at", UtcDateTime(), nullable=True),
    ],
    immutable=("created_at",),
)
STAGE_CHANGE = Shape(
    "stage_changes",
    StageChange,
    [
        serial(),
        value("account_id", key_type(_ID)),
        value("from_stage", String(_KEY), nullable=True),
        value("to_stage", String(_KEY)),
        value("at", UtcDateTime()),
        value("reason", Text(), nullable=True),
        flag("automatic"),
    ],
)
INTERACTION = Shape(
    "interactions",
    Interaction,
    [
        value("id", key_type(_ID)),
        value("account_id", key_type(_ID)),
        value("customer_id", key_type(_ID), nullable=True),
        choice("channel", Channel, _WORD),
        choice("direction", Direction, _WORD),
        value("occurred_at", UtcDateTime()),
        value("subject", Text(), nullable=True),
        value("notes", Text(), nullable=True),
        value("outcome", Text(), nullable=True),
        value("recorded_at", UtcDateTime()),
    ],
)
PURCHASE = Shape(
    "purchases",
    Purchase,
    [
        value("id", key_type(_ID)),
        value("order_id", key_type(_HOST_KEY)),
        value("account_id", key_type(_ID)),
        value("customer_id", key_type(_ID)),
        value("occurred_at", UtcDateTime()),
        money("total", "total_minor"),
        value("points_used", BigInteger()),
        value("recorded_at", UtcDateTime()),
        # Schema 6 (checkout): the hold the order captured.
        value("hold_id", key_type(_ID), nullable=True),
        # Schema 8 (moves): the account holding the order's points, once its buyer moved.
        value("points_account_id", key_type(_ID), nullable=True),
    ],
    children=("lines", "refunds"),
    key=("order_id",),
)
LINE = Shape(
    "purchase_lines",
    LineItem,
    [
        parent_key("order_id", key_type(_HOST_KEY), "order_id"),
        position(),
        value("sku", String(_KEY)),
        value("quantity", BigInteger()),
        money("unit_price", "unit_price_minor"),
        value("category", String(_KEY), nullable=True),
    ],
    of="lines",
    key=("order_id", "position"),
)
REFUND = Shape(
    "refunds",
    Refund,
    [
        serial(),
        value("refund_id", key_type(_HOST_KEY)),
        value("order_id", key_type(_HOST_KEY)),
        money("amount", "amount_minor"),
        value("occurred_at", UtcDateTime()),
        value("reason", Text(), nullable=True),
        value("recorded_at", UtcDateTime()),
        # The order's account (not in the model): written from the order by
        # the INSERT, moved with it; pages an account's refunds by time.
        [Col("account_id", key_type(_ID), nullable=True)],
    ],
    key=("refund_id",),
)
ENTRY = Shape(
    "ledger_entries",
    LedgerEntry,
    [
        value("id", key_type(_ID)),
        value("account_id", key_type(_ID)),
        value("seq", BigInteger()),
        choice("kind", EntryKind, 16),
        value("points", BigInteger()),
        value("at", UtcDateTime()),
        value("recorded_at", UtcDateTime()),
        value("lot_id", key_type(_ID), nullable=True),
        value("expires_at", UtcDateTime(), nullable=True),
        value("available_at", UtcDateTime(), nullable=True),
        value("source", String(_KEY), nullable=True),
        value("reason", Text(), nullable=True),
        value("idempotency_key", String(_KEY), nullable=True),
        value("debt", BigInteger()),
        # Schema 7 (orders in other currencies): the rate fixed at purchase.
        value("rate", DecimalText(), nullable=True),
        value("source_currency", String(3), nullable=True),
    ],
    children=("allocations",),
)
ALLOCATION = Shape(
    "ledger_allocations",
    Allocation,
    [
        parent_key("entry_id", key_type(_ID), "id"),
        position(),
        value("lot_id", key_type(_ID)),
        value("points", BigInteger()),
    ],
    of="allocations",
    key=("entry_id", "position"),
)
POINTS_STATE = Shape(
    "points_state",
    PointsState,
    [
        value("account_id", key_type(_ID)),
        value("last_seq", BigInteger()),
        value("balance", BigInteger()),
        value("pending", BigInteger()),
        value("debt", BigInteger()),
        value("earned", BigInteger()),
        value("next_activation", UtcDateTime(), nullable=True),
        value("next_expiry", UtcDateTime(), nullable=True),
        value("next_due", UtcDateTime(), nullable=True),
        # Schema 6 (checkout): the points open holds reserve, and the soonest lapse.
        value("held", BigInteger()),
        value("next_release", UtcDateTime(), nullable=True),
    ],
    key=("account_id",),
)
OPEN_LOT = Shape(
    "open_lots",
    OpenLot,
    [
        value("id", key_type(_ID)),
        value("account_id", key_type(_ID)),
        flag("pending"),
        value("points", BigInteger()),
        value("remaining", BigInteger()),
        value("at", UtcDateTime()),
        value("expires_at", UtcDateTime(), nullable=True),
        value("available_at", UtcDateTime(), nullable=True),
        value("source", String(_KEY), nullable=True),
    ],
)
IDEMPOTENCY = Shape(
    "idempotency",
    IdempotencyRecord,
    [
        value("scope", String(_KEY)),
        value("key", String(_KEY)),
        value("payload_hash", String(_KEY)),
        value("result", Text()),
        value("created_at", UtcDateTime()),
    ],
    key=("scope", "key"),
)


def _score_columns() -> list[list[Col]]:
    return [
        value("account_id", key_type(_ID)),
        choice("kind", ScoreKind, 16),
        value("as_of", UtcDateTime()),
        value("score", BigInteger()),
        value("band", String(_BAND)),
        value("computed_at", UtcDateTime()),
    ]


# Schema 4: the kept scores. The current row of each (account, kind) is what
# segments filter on; the snapshots are its append-only history.
SCORE = Shape("scores", KeptScore, _score_columns(), key=("account_id", "kind"))
SCORE_SNAPSHOT = Shape(
    "score_snapshots", KeptScore, _score_columns(), key=("account_id", "kind", "as_of")
)

# Schema 6 (checkout): the holds (derived from the ledger, like the open lots)
# and the refunds that arrived before their order.
HOLD = Shape(
    "holds",
    Hold,
    [
        value("id", key_type(_ID)),
        value("account_id", key_type(_ID)),
        value("points", BigInteger()),
        value("idempotency_key", String(_KEY)),
        value("created_at", UtcDateTime()),
        value("expires_at", UtcDateTime()),
        choice("status", HoldStatus, 16),
        value("closed_at", UtcDateTime(), nullable=True),
        value("closed_by", key_type(_ID), nullable=True),
        value("captured", BigInteger()),
        value("order_id", key_type(_HOST_KEY), nullable=True),
    ],
)
PARKED_REFUND = Shape(
    "parked_refunds",
    ParkedRefund,
    [
        value("refund_id", key_type(_HOST_KEY)),
        value("order_id", key_type(_HOST_KEY)),
        [
            Col(
                "amount_minor",
                BigInteger(),
                True,
                dump="(None if m.amount is None else m.amount.minor)",
                attr="amount",
                load=(
                    "(None if {amount_minor} is None"
                    " else Money.from_minor({amount_minor}, {currency}))"
                ),
            ),
            Col(
                "currency",
                String(3),
                True,
                dump="(None if m.amount is None else m.amount.currency)",
            ),
        ],
        value("occurred_at", UtcDateTime(), nullable=True),
        value("reason", Text(), nullable=True),
        value("parked_at", UtcDateTime()),
        value("problem", Text(), nullable=True),
    ],
    key=("refund_id",),
)

SHAPES: tuple[Shape, ...] = (
    META,
    ACCOUNT,
    CUSTOMER,
    STAGE_CHANGE,
    INTERACTION,
    PURCHASE,
    LINE,
    REFUND,
    ENTRY,
    ALLOCATION,
    POINTS_STATE,
    OPEN_LOT,
    IDEMPOTENCY,
    SCORE,
    SCORE_SNAPSHOT,
    HOLD,
    PARKED_REFUND,
)
"""Every table's shape, parents before children."""
