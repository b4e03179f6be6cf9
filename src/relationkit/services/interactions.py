"""Interactions: logging touch points on any channel."""

from __future__ import annotations

from collections.abc import Iterator

import pendulum

from relationkit import _validate as v
from relationkit._runtime import Context, Runner
from relationkit._tx import Tx
from relationkit.domain.interactions import Channel, Direction, Interaction
from relationkit.errors import ValidationError
from relationkit.events import InteractionLogged
from relationkit.services._paging import time_page, walk
from relationkit.services._refs import resolve

__all__ = ["InteractionsService"]


class InteractionsService:
    """``kit.interactions``: log and list interactions."""

    def __init__(self, runner: Runner, ctx: Context) -> None:
        self._run = runner
        self._ctx = ctx

    def __repr__(self) -> str:
        return "<InteractionsService>"

    def log(
        self,
        ref: str,
        *,
        channel: Channel | str,
        direction: Direction | str,
        occurred_at: pendulum.DateTime | None = None,
        subject: str | None = None,
        notes: str | None = None,
        outcome: str | None = None,
    ) -> Interaction:
        """Log an interaction with a customer (or with an account as a whole).

        Args:
            ref: a customer id, or an account id when no one person is meant.
            channel: where it happened.
            direction: inbound, outbound or internal.
            occurred_at: when (aware); defaults to the kit's clock.
            subject: a short title (at most 200 characters).
            notes: free text (at most 10,000 characters).
            outcome: a short result label (``"resolved"``, ``"no answer"``).

        Raises:
            ValidationError: on an unknown channel or direction, a naive
                datetime or over-long text.
            NotFound: if ``ref`` names nobody.
        """
        try:
            clean_channel = Channel(channel)
        except ValueError:
            raise ValidationError("channel", "is not a known Channel") from None
        try:
            clean_direction = Direction(direction)
        except ValueError:
            raise ValidationError("direction", "is not a known Direction") from None
        when = v.aware_utc(occurred_at, "occurred_at") if occurred_at is not None else None
        clean_subject = v.optional_text(subject, "subject", max_length=200)
        clean_notes = v.optional_text(notes, "notes")
        clean_outcome = v.optional_text(outcome, "outcome", max_length=100)

        def work(tx: Tx) -> Interaction:
            key = v.identifier(ref, "ref")
            customer_id = key if key.startswith("cus_") else None
            account_id = resolve(tx, key)
            interaction = Interaction(
                id=tx.ids.new("int"),
                account_id=account_id,
                customer_id=customer_id,
                channel=clean_channel,
                direction=clean_direction,
                occurred_at=when or tx.now,
                subject=clean_subject,
                notes=clean_notes,
                outcome=clean_outcome,
                recorded_at=tx.now,
            )
            tx.uow.interactions.add(interaction)
            tx.emit(
                account_id,
                InteractionLogged,
                interaction_id=interaction.id,
                customer_id=customer_id,
                channel=clean_channel,
            )
            return interaction

        return self._run.write(work)

    def history(
        self, ref: str, *, limit: int | None = None, after: Interaction | None = None
    ) -> list[Interaction]:
        """Return an account's interactions (a customer id: their account's), oldest first.

        Args:
            ref: an account or customer id.
            limit: at most this many (None: all).
            after: the last interaction of the previous page; the page starts after it.
        """
        size, cursor = time_page(limit, after)
        return self._run.read(
            lambda tx: tx.uow.interactions.for_account(resolve(tx, ref), after=cursor, limit=size)
        )

    def iter_history(self, ref: str, *, page_size: int = 1000) -> Iterator[Interaction]:
        """Yield every interaction of the account, one read transaction per page."""
        size = v.positive_int(page_size, "page_size")
        return walk(lambda last: self.history(ref, limit=size, after=last), size)
