"""Raw queries on the hot path that the ORM cannot make cheap."""
import psycopg
from django.db import connection


class _PreparedCursor(psycopg.Cursor):
    """A server-binding cursor whose every statement is prepared (psycopg keeps the plans per
    connection, at most `prepared_max`; settings.DATABASES sets the `prepare_threshold` without
    which psycopg prepares nothing)."""

    def execute(self, query, params=None, **kwargs):
        return super().execute(query, params, prepare=True)


def prepared_fetchall(sql: str, params: list) -> list[tuple]:
    """Run a fixed-shape query (`%s` placeholders) and return its rows. On PostgreSQL it goes
    through a cursor prepared once per connection: planning a many-join query costs several
    times running it, and Django's cursors (client-side binding; preparation off so connection
    poolers keep working) plan it on every call. Query wrappers see it as any other query; while
    queries are logged (DEBUG, a test capturing them) it takes Django's cursor, whose log keeps
    the SQL text a prepared execution does not have."""
    if connection.vendor != "postgresql" or connection.queries_logged:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    raw = _PreparedCursor(connection.connection)
    with connection.make_cursor(raw) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
