"""Lifetime values: the purchase summary, BG/NBD and Gamma-Gamma, and the model checks.

The models are fitted on the calibration period of the literature
(:data:`CALIBRATION_START` to :data:`CALIBRATION_END`, read from the kit with
``kit.scores.purchase_summary``), then applied to each account's history up
to the last day of the data: the accounts most likely to be lost and the
lifetime values of the next twelve calendar months. The holdout comparison
and the tracking plot check the fit against the 39 weeks after the
calibration.

``relationkit.clv`` needs the ``clv`` extra (numpy and scipy) and the plot
the ``plot`` extra (matplotlib); without them these sections say which to
install and are skipped.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import relationkit as rk

from .common import CURRENCY, Phases, external_id, heading
from .segments import LAST_DAY

if TYPE_CHECKING:
    from relationkit import clv

CALIBRATION_START = dt.date(1997, 1, 1)
CALIBRATION_END = dt.date(1997, 9, 30)
"""The calibration period of the literature: the first 39 weeks."""
HORIZON_MONTHS = 12
"""The lifetime values count this many calendar months after :data:`LAST_DAY`."""
DISCOUNT_RATE = 0.01
"""The discount rate per month of the lifetime values."""
TOP = 10
"""How many accounts the lost and lifetime-value tables show."""
TRACKING_EVERY = 13
"""The tracking table shows every this many weeks (the PNG shows them all)."""


def clv_missing() -> str | None:
    """Return why ``relationkit.clv`` cannot be imported (None: it can)."""
    try:
        import relationkit.clv  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Fitted:
    """The models fitted on the calibration summary (``spend`` None if Gamma-Gamma failed)."""

    transactions: clv.BetaGeoModel
    spend: clv.GammaGammaModel | None


@dataclass(frozen=True)
class _AliveOne:
    """A fitted model scoring one account at a time, as ``kit.scores.churn(alive=...)`` asks.

    Churn calls ``probability_alive`` with one customer's three numbers and
    turns the answer into a float; the ``clv`` models answer with an array
    even for one customer, which that conversion rejects, so this returns
    the one probability.
    """

    model: clv.BetaGeoModel

    @property
    def unit(self) -> str:
        """The unit the model was fitted in."""
        return self.model.unit

    def probability_alive(self, frequency: float, recency: float, T: float) -> float:
        """Return the probability that this one customer is alive."""
        return float(self.model.probability_alive([frequency], [recency], [T])[0])


def read_summary(kit: rk.RelationKit, as_of: dt.date) -> clv.SummaryData:
    """Read every account's purchase summary (in weeks) once, as ``clv`` input."""
    from relationkit import clv

    summary = kit.scores.purchase_summary(
        as_of=as_of, since=CALIBRATION_START, unit="weeks", currency=CURRENCY
    )
    rows = list(summary)
    return clv.SummaryData.from_arrays(
        [r.frequency for r in rows],
        [r.recency for r in rows],
        [r.T for r in rows],
        [r.monetary_value for r in rows],
        ids=[r.account_id for r in rows],
        unit="weeks",
        as_of=as_of,
        since=CALIBRATION_START,
    )


def show_summary(summary: clv.SummaryData) -> None:
    """Print what the calibration summary holds."""
    heading(f"Purchase summary, {CALIBRATION_START} to {CALIBRATION_END} (calibration)")
    print(
        f"kit.scores.purchase_summary(as_of={CALIBRATION_END}, since={CALIBRATION_START}, "
        'unit="weeks"):'
    )
    print("a transaction is a purchase day, net of refunds; frequency counts the repeat ones")
    n = len(summary)
    repeat = summary.frequency > 0
    buyers = int(repeat.sum())
    print(f"accounts        {n:>8,}")
    share = 100 * buyers / (n or 1)
    print(f"repeat buyers   {buyers:>8,}   ({share:.1f}%; the others bought on one day)")
    if n:
        most = summary.frequency.max()
        print(f"frequency       mean {summary.frequency.mean():.2f}, max {most:.0f}")
        print(f"recency, T      mean {summary.recency.mean():.1f}, {summary.T.mean():.1f} weeks")
    if buyers:
        mean = summary.monetary_value[repeat].mean()
        print(f"monetary value  mean {mean:.2f} {CURRENCY} per repeat transaction")


def _params(model: clv.FittedModel) -> str:
    return "   ".join(
        f"{name} {value:.4g} ± {model.standard_errors[name]:.2g}"
        for name, value in model.params.items()
    )


def fit(summary: clv.SummaryData) -> Fitted | None:
    """Fit BG/NBD and Gamma-Gamma on the calibration summary; print their parameters."""
    from relationkit import clv

    heading("BG/NBD and Gamma-Gamma, fitted on the calibration summary")
    try:
        transactions = clv.BetaGeoModel.fit(summary)
    except (clv.ModelFitError, rk.errors.ValidationError) as exc:
        print(f"BG/NBD cannot be fitted on this data: {type(exc).__name__}: {exc}")
        return None
    d = transactions.diagnostics
    p = transactions.params
    print(f"BG/NBD (weeks)  {_params(transactions)}")
    print(
        f"  {d.method}, {d.n_customers:,} customers in {d.n_distinct:,} distinct rows, "
        f"log-likelihood {d.log_likelihood:,.1f}"
    )
    print(
        f"  while active a customer buys {p['r'] / p['alpha']:.3f} times a week (r/alpha); "
        f"after a purchase"
    )
    print(f"  they leave with chance {p['a'] / (p['a'] + p['b']):.2f} (a/(a+b))")
    try:
        spend = clv.GammaGammaModel.fit(summary)
    except (clv.ModelFitError, rk.errors.ValidationError) as exc:
        print(f"Gamma-Gamma cannot be fitted on this data: {type(exc).__name__}: {exc}")
        return Fitted(transactions=transactions, spend=None)
    print(f"Gamma-Gamma     {_params(spend)}")
    print(
        f"  {spend.diagnostics.n_customers:,} repeat buyers ({spend.excluded:,} left out), "
        f"population mean {spend.population_mean:.2f} {CURRENCY} per transaction"
    )
    return Fitted(transactions=transactions, spend=spend)


def _last_purchase(summary: clv.SummaryData, i: int) -> dt.date:
    """Return the last purchase day of customer ``i`` (``T - recency`` weeks before as_of)."""
    return LAST_DAY - dt.timedelta(days=round(7 * (summary.T[i] - summary.recency[i])))


def show_lost(kit: rk.RelationKit, fitted: Fitted, current: clv.SummaryData) -> None:
    """Print the repeat buyers least likely to be still active on the last day of the data."""
    model = fitted.transactions
    alive = model.probability_alive(current.frequency, current.recency, current.T)
    repeat = [i for i in range(len(current)) if current.frequency[i] > 0]
    lost = sorted(repeat, key=lambda i: (alive[i], current.ids[i]))[:TOP]
    heading(f"Accounts most likely to be lost (repeat buyers, on {LAST_DAY})")
    print(f"P(alive): the calibration BG/NBD over each history to {LAST_DAY}; churn risk:")
    print("kit.scores.churn(..., alive=model): silence against the usual gap, spend, 1 - P(alive)")
    print(
        f"{'#':>2}  {'customer':<12} {'purchase days':>13}  {'last purchase':>13}  "
        f"{'P(alive)':>8}  {'churn risk':>10}"
    )
    one = _AliveOne(model)
    for rank, i in enumerate(lost, start=1):
        risk = kit.scores.churn(current.ids[i], as_of=LAST_DAY, alive=one)
        print(
            f"{rank:>2}  {external_id(kit, current.ids[i]):<12} {current.frequency[i] + 1:>13.0f}  "
            f"{_last_purchase(current, i).isoformat():>13}  {alive[i]:>8.2g}  "
            f"{risk.score:>5} {risk.band:<4}"
        )
    below = sum(1 for i in repeat if alive[i] < 0.5)
    print(f"({below:,} of {len(repeat):,} repeat buyers have P(alive) below 0.5)")


def show_values(kit: rk.RelationKit, fitted: Fitted, current: clv.SummaryData) -> None:
    """Print the highest predicted lifetime values over the next calendar months."""
    from relationkit import clv

    heading(
        f"Top {TOP} predicted lifetime values, {HORIZON_MONTHS} calendar months from {LAST_DAY}"
    )
    if fitted.spend is None:
        print("(skipped: no Gamma-Gamma model for the spend)")
        return
    values = clv.customer_lifetime_value(
        fitted.transactions,
        fitted.spend,
        current,
        horizon=clv.Horizon(months=HORIZON_MONTHS),
        discount_rate=DISCOUNT_RATE,
    )
    print(
        f"clv.customer_lifetime_value(BG/NBD, Gamma-Gamma, horizon=clv.Horizon(months="
        f"{HORIZON_MONTHS}),"
    )
    print(
        f"discount_rate={DISCOUNT_RATE}): the expected revenue ({CURRENCY}), discounted monthly; "
        "purchases over"
    )
    print("the horizon, undiscounted, and the expected value of each (Gamma-Gamma)")
    print(
        f"{'#':>2}  {'customer':<12} {'P(alive)':>8}  {'purchases':>9}  {'per purchase':>12}  "
        f"{'value':>12}"
    )
    top = sorted(values, key=lambda v: (-v.value, v.account_id))[:TOP]
    for rank, v in enumerate(top, start=1):
        print(
            f"{rank:>2}  {external_id(kit, v.account_id):<12} {v.probability_alive:>8.4f}  "
            f"{v.expected_purchases:>9.2f}  {v.expected_value:>12.2f}  {v.value:>12,.2f}"
        )
    pooled = sum(1 for v in values if v.population_mean)
    total = sum(v.value for v in values)
    print(
        f"all {len(values):,} accounts: {total:,.2f} {CURRENCY} expected "
        f"({pooled:,} priced at the population mean: one-time buyers)"
    )


@dataclass
class PurchaseDays:
    """Each account's purchase days, kept from the kit's ``PurchaseRecorded`` events.

    The model checks need every purchase day of every account. There is no
    public bulk read of purchases: reading them back takes one
    ``kit.purchases.iter_history`` per account (about 14 s for the 23,570
    CDNOW accounts on SQLite), so the demo keeps the days as the orders are
    recorded, the way :class:`~cdnow.lapse.Recency` keeps the last purchase.
    Days are calendar days in the kit's time zone, as in the purchase
    summary. Every order recorded counts: the demo's one refund is made after
    the last day the checks read. With ``--keep`` the replayed orders are no
    news and the days are incomplete: :func:`purchase_days` then reads the
    history back.
    """

    zone: str = "UTC"
    days: dict[str, set[dt.date]] = field(default_factory=dict)

    def watch(self, kit: rk.RelationKit) -> None:
        """Register the handler on ``kit``, whose time zone gives the days."""
        self.zone = kit.timezone
        kit.hooks.on(rk.events.PurchaseRecorded, self.on_purchase)

    def on_purchase(self, event: rk.events.PurchaseRecorded) -> None:
        """Keep the day of a new purchase."""
        day = event.purchased_at.in_timezone(self.zone).date()
        self.days.setdefault(event.aggregate_id, set()).add(day)


def purchase_days(
    kit: rk.RelationKit, account_ids: tuple[str, ...], kept: PurchaseDays | None
) -> tuple[list[clv.CustomerDates], str]:
    """Return each account's purchase days up to :data:`LAST_DAY`, and where they came from.

    From ``kept`` when it saw every purchase of the store (None: it did
    not), else read from the kit one account at a time (an order refunded
    in full is no purchase day).
    """
    from relationkit import clv

    if kept is not None:
        pairs = (
            (account, day)
            for account in account_ids
            for day in kept.days[account]
            if day <= LAST_DAY
        )
        return clv.customer_dates(pairs), "kept from this run's PurchaseRecorded events"
    zone = kit.timezone
    read = (
        (account, p.occurred_at.in_timezone(zone).date())
        for account in account_ids
        for p in kit.purchases.iter_history(account)
        if not (p.refunds and not p.refundable)
    )
    days = [(account, day) for account, day in read if day <= LAST_DAY]
    return clv.customer_dates(days), "read with kit.purchases.iter_history, one account at a time"


def show_checks(
    kit: rk.RelationKit,
    fitted: Fitted,
    current: clv.SummaryData,
    kept: PurchaseDays | None,
    plot: Path,
) -> None:
    """Print the holdout comparison and the tracking curve; save the tracking plot."""
    from relationkit import clv

    model = fitted.transactions
    heading(f"Model check: holdout {CALIBRATION_END + dt.timedelta(days=1)} to {LAST_DAY}")
    start = time.perf_counter()
    customers, source = purchase_days(kit, current.ids, kept)
    print(
        f"purchase days of {len(customers):,} accounts {source} "
        f"({time.perf_counter() - start:.1f} s)"
    )
    holdout = clv.holdout_comparison(
        model, customers, calibration_end=CALIBRATION_END, holdout_end=LAST_DAY
    )
    print(
        f"mean purchases in the {holdout.holdout_length:.0f} holdout weeks by calibration "
        "frequency, actual and expected:"
    )
    print(holdout.to_text())
    curve = clv.tracking(
        model, customers, start=CALIBRATION_START, calibration_end=CALIBRATION_END, end=LAST_DAY
    )
    print(
        f"cumulative repeat transactions over {len(curve.rows)} weeks (every {TRACKING_EVERY}th):"
    )
    print(f"{'week':>6}  {'ends':>10}  {'actual':>8}  {'expected':>10}  part")
    for row in curve.rows:
        if row.period % TRACKING_EVERY == 0 or row.period == len(curve.rows):
            part = "holdout" if row.holdout else "calibration"
            print(
                f"{row.period:>6}  {row.end.isoformat():>10}  {row.actual:>8,}  "
                f"{row.expected:>10,.1f}  {part}"
            )
    try:
        plot.parent.mkdir(parents=True, exist_ok=True)
        curve.save_png(plot)
    except ImportError as exc:
        print(f"(no tracking plot: {exc})")
    else:
        print(f"tracking plot saved to {plot}")


def report_lifetime(
    kit: rk.RelationKit, phases: Phases, kept: PurchaseDays | None, plot: Path
) -> None:
    """Print the lifetime-value sections, each timed in ``phases``.

    ``kept`` holds the purchase days seen by this run (None: the store
    already held purchases, so they are read back); the plot goes to ``plot``.
    """
    missing = clv_missing()
    if missing is not None:
        heading("Lifetime values")
        print(f"(skipped: {missing})")
        return
    with phases.timed("purchase summary"):
        calibration = read_summary(kit, CALIBRATION_END)
        show_summary(calibration)
    with phases.timed("BG/NBD and Gamma-Gamma"):
        fitted = fit(calibration)
    if fitted is None:
        return
    with phases.timed("likely lost"):
        current = read_summary(kit, LAST_DAY)
        show_lost(kit, fitted, current)
    with phases.timed("lifetime values"):
        show_values(kit, fitted, current)
    with phases.timed("model checks"):
        show_checks(kit, fitted, current, kept, plot)
