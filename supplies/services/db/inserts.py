"""Appending rows to several tables at once: the last step of a distribution's write.

On PostgreSQL every statement is a round trip to the server, so the rows go in as one
statement of data-modifying CTEs (`WITH a AS (INSERT ...), b AS (INSERT ...) INSERT ...`).
A table's rows are one VALUES row when there is one, else arrays of its columns unnested
(`INSERT ... SELECT * FROM unnest(...)`), so the statement's text does not depend on how
many rows there are: SQLAlchemy compiles it once and PostgreSQL keeps it prepared. Foreign
keys between the rows are checked at the end of the statement, when all are in. SQLite has
no round trips and no DML in CTEs: one insert per table, in the order given.
"""

from collections.abc import Sequence
from functools import cache, lru_cache

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql

from supplies.extensions import db

Rows = tuple[Table, list[dict]]


def insert_rows(batches: Sequence[Rows]) -> None:
    """Insert each batch of rows (dicts with the same keys) into its table, in order.

    Rows name every column they fill, those with a default computed in Python included:
    the unnested form leaves the columns not named to the database's own defaults.
    """
    batches = [(table, rows) for table, rows in batches if rows]
    connection = db.session.connection()
    if connection.dialect.name != "postgresql" or len(batches) < 2:
        for table, rows in batches:
            connection.execute(_insert_into(table), rows)
        return
    shape = tuple((table.name, tuple(rows[0]), len(rows) > 1) for table, rows in batches)
    params = {}
    for part, (_table, rows) in enumerate(batches):
        for column in rows[0]:
            values = [row[column] for row in rows]
            params[f"p{part}_{column}"] = values if len(rows) > 1 else values[0]
    connection.execute(_together(shape), params)


@cache
def _insert_into(table: Table):
    return insert(table)


@lru_cache(maxsize=64)
def _together(shape: tuple[tuple[str, tuple[str, ...], bool], ...]):
    """WITH p0 AS (INSERT ...), p1 AS (INSERT ...) ... INSERT ... for one shape of rows."""
    statements = []
    for part, (table_name, columns, many) in enumerate(shape):
        table = db.metadata.tables[table_name]
        if many:
            arrays = [
                bindparam(f"p{part}_{column}", type_=postgresql.ARRAY(table.c[column].type))
                for column in columns
            ]
            rows = func.unnest(*arrays).table_valued(*columns).render_derived()
            statements.append(insert(table).from_select(list(columns), select(rows)))
        else:
            values = {
                column: bindparam(f"p{part}_{column}", type_=table.c[column].type)
                for column in columns
            }
            statements.append(insert(table).values(values))
    *first, last = statements
    return last.add_cte(*(statement.cte(f"p{part}") for part, statement in enumerate(first)))
