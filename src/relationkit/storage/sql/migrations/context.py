"""What a revision script asks of the migration it runs in: the table prefix."""

from __future__ import annotations

from alembic import op

from relationkit.storage.sql.migrations import PREFIX_KEY

__all__ = ["prefix"]

DEFAULT = "rk_"


def prefix() -> str:
    """Return the prefix of the tables being migrated.

    From ``config.attributes["relationkit_prefix"]`` (what
    ``relationkit db upgrade`` sets), else ``-x relationkit_prefix=...``,
    else ``rk_``.
    """
    config = op.get_context().config
    if config is None:
        return DEFAULT
    given = config.attributes.get(PREFIX_KEY)
    if isinstance(given, str):
        return given
    for item in getattr(config.cmd_opts, "x", None) or ():
        key, _, value = str(item).partition("=")
        if key == PREFIX_KEY:
            return value
    return DEFAULT
