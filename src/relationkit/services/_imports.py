"""Bulk imports (``kit.purchases.record_many``): rows read lazily, written in batches.

Each batch of rows is one transaction, recorded by the same
:class:`~relationkit.services._recording.OrderRecorder` as a single order.
Handlers that fail after a batch commits do not stop the import: their
failures are raised together, with the import's :class:`BulkResult`, once
every row is in.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from relationkit import _validate as v
from relationkit._runtime import Runner
from relationkit._tx import Tx
from relationkit.errors import HookError
from relationkit.services._drafts import Draft, row_draft
from relationkit.services._recording import OrderRecorder

__all__ = ["BulkResult", "import_rows"]


@attrs.frozen(kw_only=True)
class BulkResult:
    """What :meth:`PurchasesService.record_many` did.

    Attributes:
        recorded: purchases stored for the first time.
        unchanged: rows that replayed an order already stored (no effect).
        customers_created: customers created from ``customer_external_id``.
    """

    recorded: int = 0
    unchanged: int = 0
    customers_created: int = 0

    def __add__(self, other: BulkResult) -> BulkResult:
        return BulkResult(
            recorded=self.recorded + other.recorded,
            unchanged=self.unchanged + other.unchanged,
            customers_created=self.customers_created + other.customers_created,
        )


def import_rows(
    runner: Runner,
    recorder: OrderRecorder,
    rows: Iterable[Mapping[str, Any]],
    *,
    batch_size: int,
    on_batch: Callable[[BulkResult], None] | None,
) -> BulkResult:
    """Record ``rows`` in transactions of ``batch_size``; see ``record_many``.

    Raises:
        ValidationError: naming the row; earlier batches stay committed.
        IdempotencyConflict: an order id recorded with another payload.
        HookError: after every row is in, if event handlers failed; its
            ``result`` is the import's :class:`BulkResult`.
    """
    size = v.positive_int(batch_size, "batch_size")
    result = BulkResult()
    failures: list[HookError] = []
    iterator = iter(rows)
    start = 0
    while True:
        chunk = list(itertools.islice(iterator, size))
        if not chunk:
            break
        drafts = [row_draft(row, start + i) for i, row in enumerate(chunk)]
        start += len(chunk)
        try:
            batch = runner.write(functools.partial(_counted, recorder=recorder, drafts=drafts))
        except HookError as exc:
            # The batch is committed; its handlers' failures are reported
            # with the import's result once every row is in.
            failures.append(exc)
            batch = exc.result
        result = result + batch
        if on_batch is not None:
            on_batch(batch)
    if failures:
        errors = [e for failure in failures for e in failure.exceptions]
        done = HookError(
            f"{len(errors)} event handler(s) failed during the import",
            errors,
            [f for failure in failures for f in failure.failures],
        )
        done.result = result
        raise done
    return result


def _counted(tx: Tx, *, recorder: OrderRecorder, drafts: list[Draft]) -> BulkResult:
    outcome, created = recorder.record(tx, drafts)
    recorded = sum(1 for _, new in outcome if new)
    return BulkResult(
        recorded=recorded, unchanged=len(outcome) - recorded, customers_created=created
    )
