"""The ledger machine's direct ledger writes: earn, redeem, adjust, gift (not public)."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

import relationkit as rk
from relationkit.testing.machines._ledger_base import MEMBERS, Done, LedgerBase

__all__ = ["LedgerWrites"]


class LedgerWrites(LedgerBase):
    """Earn, redeem, adjust and gift points, each under a fresh idempotency key."""

    @rule(who=MEMBERS, points=st.integers(min_value=1, max_value=300))
    def earn(self, who: int, points: int) -> None:
        key, loyalty = self._key("earn-"), self.k.loyalty
        account, customer = self.members[who]
        entry = self._expect(
            lambda: self.model.earn(account, points),
            lambda: loyalty.earn(customer, points, idempotency_key=key),
        )
        self.done.append(
            Done(
                label=f"earn {key}",
                same=lambda: loyalty.earn(customer, points, idempotency_key=key),
                expected=entry,
                other=lambda: loyalty.earn(customer, points + 1, idempotency_key=key),
            )
        )

    @rule(who=MEMBERS, points=st.integers(min_value=1, max_value=400))
    def redeem(self, who: int, points: int) -> None:
        key, loyalty = self._key("redeem-"), self.k.loyalty
        account, customer = self.members[who]
        entry = self._expect(
            lambda: self.model.redeem(account, points),
            lambda: loyalty.redeem(customer, points, idempotency_key=key),
        )
        if entry is not None:
            self.done.append(
                Done(
                    label=f"redeem {key}",
                    same=lambda: loyalty.redeem(customer, points, idempotency_key=key),
                    expected=entry,
                    other=lambda: loyalty.redeem(
                        customer, points, idempotency_key=key, reason="other"
                    ),
                )
            )

    @rule(
        who=MEMBERS,
        points=st.integers(min_value=-150, max_value=150).filter(lambda n: n != 0),
    )
    def adjust(self, who: int, points: int) -> None:
        key, loyalty = self._key("adjust-"), self.k.loyalty
        account, customer = self.members[who]
        entry = self._expect(
            lambda: self.model.adjust(account, points),
            lambda: loyalty.adjust(customer, points, idempotency_key=key, reason="fix"),
        )
        if entry is not None:
            self.done.append(
                Done(
                    label=f"adjust {key}",
                    same=lambda: loyalty.adjust(
                        customer, points, idempotency_key=key, reason="fix"
                    ),
                    expected=entry,
                    other=lambda: loyalty.adjust(
                        customer, -points, idempotency_key=key, reason="fix"
                    ),
                )
            )

    @rule(
        giver=MEMBERS,
        taker=MEMBERS,
        points=st.integers(min_value=1, max_value=200),
    )
    def gift(self, giver: int, taker: int, points: int) -> None:
        """A redemption and a credit in one kit.transaction(): both or neither."""
        out_key, in_key, loyalty = self._key("gift-out-"), self._key("gift-in-"), self.k.loyalty
        (source, sender), (target, receiver) = self.members[giver], self.members[taker]

        def model() -> None:
            self.model.redeem(source, points)
            self.model.earn(target, points)

        def engine() -> tuple[rk.LedgerEntry, rk.LedgerEntry]:
            with self.k.transaction():
                spent = loyalty.redeem(sender, points, idempotency_key=out_key)
                got = loyalty.earn(receiver, points, idempotency_key=in_key, reason="gift")
            return spent, got

        entries = self._expect(model, engine)
        if entries is None:
            return
        spent, got = entries
        self.done.append(
            Done(
                label=f"gift {out_key}",
                same=lambda: loyalty.redeem(sender, points, idempotency_key=out_key),
                expected=spent,
                other=lambda: loyalty.redeem(sender, points + 1, idempotency_key=out_key),
            )
        )
        self.done.append(
            Done(
                label=f"gift {in_key}",
                same=lambda: loyalty.earn(receiver, points, idempotency_key=in_key, reason="gift"),
                expected=got,
                other=lambda: loyalty.earn(receiver, points, idempotency_key=in_key),
            )
        )
