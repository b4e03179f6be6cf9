"""Accounts: B2C (one person) or B2B (a company with contacts and roles)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import pendulum

from relationkit import _validate as v
from relationkit._runtime import Context, Runner
from relationkit._tx import Tx
from relationkit.domain.customers import Account, AccountKind, Customer
from relationkit.errors import Conflict, NotFound, ValidationError
from relationkit.events import AccountUpdated
from relationkit.services._companies import insert_account
from relationkit.services._paging import walk
from relationkit.services._people import is_stale
from relationkit.services._refs import resolve
from relationkit.services._unset import UNSET
from relationkit.services._unset import Unset as _Unset
from relationkit.storage.fallback import queries
from relationkit.storage.ports.queries import AccountQuery

__all__ = ["AccountsService"]


def coerce_kind(kind: object) -> AccountKind:
    """Return ``kind`` as an :class:`AccountKind`."""
    try:
        return AccountKind(str(kind)) if not isinstance(kind, AccountKind) else kind
    except ValueError:
        raise ValidationError("kind", "must be AccountKind.B2C or AccountKind.B2B") from None


class AccountsService:
    """``kit.accounts``: create, find, update and upsert accounts; list their contacts.

    Args:
        runner: the kit's transaction runner.
        ctx: the kit's context.
        max_attribute_bytes: the cap on an account's attributes, as compact JSON.
    """

    def __init__(
        self, runner: Runner, ctx: Context, *, max_attribute_bytes: int = v.MAX_ATTRIBUTE_BYTES
    ) -> None:
        self._run = runner
        self._ctx = ctx
        self._max_bytes = max_attribute_bytes

    def __repr__(self) -> str:
        return "<AccountsService>"

    def create(
        self,
        *,
        name: str,
        kind: AccountKind | str = AccountKind.B2B,
        external_id: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        timezone: str | None = None,
    ) -> Account:
        """Create an account in the graph's initial stage.

        Args:
            name: display name (a company name).
            kind: ``AccountKind.B2B`` (default) or ``AccountKind.B2C``.
            external_id: the host's own id for the account (a shop's company
                id), unique among accounts.
            attributes: JSON-safe custom fields (at most the kit's
                ``max_attribute_bytes`` as compact JSON).
            timezone: the IANA zone in which the account's points expire
                (None: the program's, else the kit's).

        Raises:
            ValidationError: on an empty or over-long name, an unknown kind,
                a bad time zone or attributes.
            Conflict: if another account has this external id.
        """
        clean = _Spec(
            name=v.text(name, "name"),
            kind=coerce_kind(kind),
            external_id=_ext(external_id),
            attributes=self._sized(v.attributes(attributes)),
            timezone=v.timezone(timezone) if timezone is not None else None,
        )

        def work(tx: Tx) -> Account:
            if clean.external_id is not None and tx.uow.accounts.by_external_ids(
                [clean.external_id]
            ):
                raise Conflict("external_id is already used by another account")
            return self._insert(tx, clean, None)

        return self._run.write(work)

    def _sized(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return v.attributes_size(attributes, "attributes", max_bytes=self._max_bytes)

    def _insert(self, tx: Tx, spec: _Spec, stamp: pendulum.DateTime | None) -> Account:
        """Insert a new account with its first stage; return it."""
        return insert_account(
            tx,
            self._ctx.stages.initial,
            name=spec.name,
            kind=spec.kind,
            external_id=spec.external_id,
            attributes=spec.attributes,
            timezone=spec.timezone,
            stamp=stamp,
        )

    def get(self, ref: str) -> Account:
        """Return an account by its id, or the account of a customer id.

        Raises:
            NotFound: if neither exists.
        """
        return self._run.read(lambda tx: tx.account(resolve(tx, ref), lock=False))

    def get_by_external_id(self, external_id: str) -> Account:
        """Return the account with this external id.

        Raises:
            NotFound: if there is none.
        """
        key = v.identifier(external_id, "external_id")
        found = self._run.read(lambda tx: tx.uow.accounts.by_external_ids([key]))
        if key not in found:
            raise NotFound("account", f"external_id={key}")
        return found[key]

    def upsert(
        self,
        *,
        external_id: str,
        name: str | None = None,
        kind: AccountKind | str = AccountKind.B2B,
        attributes: Mapping[str, Any] | None = None,
        timezone: str | None = None,
        source_updated_at: pendulum.DateTime | None = None,
    ) -> Account:
        """Create the account with this external id, or update the given fields.

        The rules of :meth:`CustomersService.upsert
        <relationkit.services.customers.CustomersService.upsert>`: fields
        left as None are not touched, ``attributes`` is a JSON merge patch,
        a ``source_updated_at`` older than the stored one changes nothing,
        and :class:`~relationkit.events.AccountUpdated` is emitted only for a
        real change. Two workers upserting the same new company at once
        both return the one account (the loser of the insert retries and
        finds it). A company first created by a customer's webhook
        (``customers.upsert(account_external_id=...)``) has no source time
        of its own, so its own webhook's name and fields always apply.

        Args:
            external_id: the host's id of the company.
            name: the display name; required when the account is new.
            kind: the kind of a new account (B2B by default); an existing
                account keeps its kind.
            attributes: a JSON merge patch of the account's attributes.
            timezone: the IANA zone of the account.
            source_updated_at: the source's own modification time.

        Raises:
            ValidationError: on malformed input, or no name for a new account.
        """
        key = v.identifier(external_id, "external_id")
        clean_name = v.text(name, "name") if name is not None else None
        clean_kind = coerce_kind(kind)
        patch = v.attributes(attributes) if attributes is not None else None
        zone = v.timezone(timezone) if timezone is not None else None
        stamp = v.aware_utc(source_updated_at, "source_updated_at") if source_updated_at else None

        def work(tx: Tx) -> Account:
            found = tx.uow.accounts.by_external_ids([key]).get(key)
            if found is None:
                if clean_name is None:
                    raise ValidationError("name", "is required to create an account")
                spec = _Spec(
                    name=clean_name,
                    kind=clean_kind,
                    external_id=key,
                    attributes=self._sized(v.merge_patch({}, patch or {})),
                    timezone=zone,
                )
                return self._insert(tx, spec, stamp)
            account = tx.account(found.id)
            if is_stale(stamp, account.source_updated_at):
                return tx.current(account.id)
            changes: dict[str, Any] = {}
            if clean_name is not None:
                changes["name"] = clean_name
            if patch is not None:
                changes["attributes"] = v.merge_patch(account.attributes, patch)
            if zone is not None:
                changes["timezone"] = zone
            return self._change(tx, account, changes, stamp)

        return self._run.write(work)

    def update(
        self,
        ref: str,
        *,
        name: str | _Unset = UNSET,
        external_id: str | _Unset | None = UNSET,
        attributes: Mapping[str, Any] | _Unset = UNSET,
        timezone: str | _Unset | None = UNSET,
    ) -> Account:
        """Change some fields of an account; ``None`` clears an optional field.

        ``attributes`` replaces the whole mapping (:meth:`upsert` merges).

        Args:
            ref: an account id, or a customer id (their account).
            name: the new display name.
            external_id: the host's id (None: remove it).
            attributes: the new attributes.
            timezone: the new IANA zone (None: the program's).

        Returns:
            The account (unchanged, and no event, if nothing differs).

        Raises:
            NotFound: if the account does not exist.
            ValidationError: on malformed input.
            Conflict: if another account has the external id.
        """
        changes: dict[str, Any] = {}
        if name is not UNSET:
            changes["name"] = v.text(name, "name")
        if external_id is not UNSET:
            changes["external_id"] = _ext(external_id)
        if attributes is not UNSET:
            changes["attributes"] = self._sized(v.attributes(attributes))
        if timezone is not UNSET:
            changes["timezone"] = v.timezone(timezone) if timezone is not None else None

        def work(tx: Tx) -> Account:
            account = tx.account(resolve(tx, ref))
            wanted = changes.get("external_id")
            if wanted is not None and wanted != account.external_id:
                holder = tx.uow.accounts.by_external_ids([wanted]).get(wanted)
                if holder is not None:
                    raise Conflict(f"external_id is already used by account {holder.id}")
            return self._change(tx, account, changes, None)

        return self._run.write(work)

    def _change(
        self,
        tx: Tx,
        account: Account,
        changes: dict[str, Any],
        stamp: pendulum.DateTime | None,
    ) -> Account:
        """Apply ``changes`` to a locked account; emit AccountUpdated for real changes."""
        differing = {k: val for k, val in changes.items() if getattr(account, k) != val}
        if "attributes" in differing:
            self._sized(differing["attributes"])
        newest = account.source_updated_at
        if stamp is not None and (newest is None or stamp > newest):
            newest = stamp
        if differing or newest != account.source_updated_at:
            tx.put(attrs.evolve(account, source_updated_at=newest, **differing))
        if differing:
            tx.emit(account.id, AccountUpdated, fields=tuple(sorted(differing)))
        return tx.current(account.id)

    def search(
        self,
        *,
        name_prefix: str | None = None,
        kind: AccountKind | str | None = None,
        stage: str | None = None,
        tier: str | None = None,
        external_id: str | None = None,
        attributes: Mapping[str, str | int | bool] | None = None,
        created_after: pendulum.DateTime | None = None,
        created_before: pendulum.DateTime | None = None,
        limit: int = 100,
        after: Account | None = None,
    ) -> list[Account]:
        """Return a page of accounts matching every filter given, in id (creation) order.

        Args:
            name_prefix: the name starts with this (case-insensitive).
            kind: B2C or B2B.
            stage: the account's stage.
            tier: the account's tier.
            external_id: the host's id equals this.
            attributes: top-level attributes equal to these values (str,
                int or bool; ``True`` matches only a JSON ``true``).
            created_after: created at or after this instant.
            created_before: created before this instant.
            limit: the page size (at most 10,000).
            after: the last account of the previous page (the cursor).

        Raises:
            ValidationError: on a malformed filter.
        """
        query = AccountQuery(
            name_prefix=v.text(name_prefix, "name_prefix").strip().lower()
            if name_prefix is not None
            else None,
            kind=coerce_kind(kind) if kind is not None else None,
            stage=v.identifier(stage, "stage", max_length=64) if stage is not None else None,
            tier=v.text(tier, "tier", max_length=64) if tier is not None else None,
            external_id=_ext(external_id),
            attributes=v.attribute_filter(attributes) if attributes is not None else None,
            created_after=v.aware_utc(created_after, "created_after") if created_after else None,
            created_before=v.aware_utc(created_before, "created_before")
            if created_before
            else None,
        )
        size = v.positive_int(limit, "limit", maximum=10_000)
        cursor = after.id if after is not None else None
        return self._run.read(
            lambda tx: queries(tx.uow).search_accounts(query, after=cursor, limit=size)
        )

    def iter_search(self, *, page_size: int = 1000, **filters: Any) -> Iterator[Account]:
        """Yield every account matching ``filters`` (as :meth:`search`), a page at a time."""
        size = v.positive_int(page_size, "page_size", maximum=10_000)
        return walk(lambda last: self.search(limit=size, after=last, **filters), size)

    def contacts(self, ref: str) -> list[Customer]:
        """Return the people of an account with their roles (``customer.role``)."""
        return self._run.read(lambda tx: tx.uow.customers.for_account(resolve(tx, ref)))


@attrs.frozen(kw_only=True)
class _Spec:
    """A new account's validated fields."""

    name: str
    kind: AccountKind
    external_id: str | None
    attributes: dict[str, Any]
    timezone: str | None


def _ext(value: object) -> str | None:
    return v.identifier(value, "external_id") if value is not None else None
