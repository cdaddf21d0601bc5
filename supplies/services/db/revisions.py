"""Named counters that announce a change to data some reader keeps in memory.

A reader keeps what it worked out together with the counter's value at the time, and
works it out again once the value differs. Writers bump the counter inside the same
transaction as the change, so a reader that sees the change sees the new value too.
"""

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from supplies.extensions import db
from supplies.models import Revision

_revisions = Revision.__table__


@cache
def _read_statement():
    return select(_revisions.c.value).where(_revisions.c.name == bindparam("name"))


@cache
def _bump_statement(dialect: str):
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = build(_revisions).values(name=bindparam("name"), value=1)
    return statement.on_conflict_do_update(
        index_elements=["name"], set_={"value": _revisions.c.value + 1}
    )


def current(name: str) -> int:
    """The counter's value now (0 before its first bump)."""
    value = db.session.connection().execute(_read_statement(), {"name": name}).scalar()
    return value or 0


def bump(name: str) -> None:
    """Announce a change, inside the write transaction that makes it."""
    connection = db.session.connection()
    connection.execute(_bump_statement(connection.dialect.name), {"name": name})
