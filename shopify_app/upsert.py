"""INSERT … ON CONFLICT DO UPDATE on PostgreSQL and SQLite alike (both speak the same clause)."""

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def upsert(connection, table, values: dict | list[dict], keys: list[str], update: dict) -> None:
    """Insert `values` (one row, or several in one statement), or when a row with the same `keys`
    exists, apply `update` to it.

    `update` maps a column name to a function of the statement's `excluded` row (the values that
    were refused), e.g. `{"count": lambda excluded: table.c.count + excluded.count}`.
    """
    if not values:
        return
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=keys, set_={name: make(statement.excluded) for name, make in update.items()}))
