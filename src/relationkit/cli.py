"""The ``relationkit`` command: database upkeep for the SQL backend.

::

    relationkit db upgrade sqlite:///crm.db              # to the newest schema
    relationkit db upgrade postgresql+psycopg://u@h/db --prefix crm_
    relationkit db current sqlite:///crm.db

``db upgrade`` runs the migrations shipped in the package
(:mod:`relationkit.storage.sql.migrations`) up to the newest revision, in
one transaction; ``db current`` prints the recorded revision and schema
version. Errors are printed without a traceback (and never with the URL's
password) and exit with status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from relationkit.errors import RelationKitError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relationkit", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="area", required=True)
    db = commands.add_parser("db", help="the SQL store's schema")
    actions = db.add_subparsers(dest="action", required=True)
    for name, text in (
        ("upgrade", "upgrade the store to this relationkit's schema"),
        ("current", "show the store's recorded revision and schema version"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument("url", help="SQLAlchemy database URL (sqlite:///crm.db, ...)")
        action.add_argument("--prefix", default="rk_", help="table prefix (default: rk_)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (``sys.argv[1:]`` by default); return the exit status."""
    args = _parser().parse_args(argv)
    from relationkit.storage.sql.migrations.runner import current, upgrade

    try:
        if args.action == "upgrade":
            before = current(args.url, prefix=args.prefix)
            after = upgrade(args.url, prefix=args.prefix)
            if before == after:
                print(f"already at {after.revision} (schema version {after.schema_version})")
            else:
                was = before.schema_version or "empty"
                print(
                    f"upgraded from schema version {was} "
                    f"to {after.revision} (schema version {after.schema_version})"
                )
        else:
            found = current(args.url, prefix=args.prefix)
            if found.schema_version is None:
                print("no relationkit store here")
            else:
                revision = found.revision or "no revision recorded"
                print(f"{revision} (schema version {found.schema_version})")
    except RelationKitError as e:
        print(f"relationkit: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
