"""A paginator whose unfiltered count is PostgreSQL's row estimate, for changelists of big tables.

The admin counts the rows of every changelist it shows; on a table of a million leads that
`SELECT COUNT(*)` is a sequential scan costing far more than the page itself. For an unfiltered
list the planner's estimate (`pg_class.reltuples`, kept by ANALYZE/autovacuum) is good enough to
size the page links; a filtered or searched list is small, or asked for, and counted exactly.
"""
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this an exact count is cheap and, unlike the estimate, exact.
EXACT_BELOW = 10_000


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self):
        estimate = self._estimate()
        if estimate is not None and estimate >= EXACT_BELOW:
            return estimate
        return super().count

    def _estimate(self):
        """reltuples of the queryset's table when the query has no WHERE clause, else None."""
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is None or query.where or query.is_sliced or query.distinct or query.combinator:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            row = cursor.fetchone()
        # -1: never analysed yet (PostgreSQL 14+); no row: not a plain table.
        return row[0] if row and row[0] >= 0 else None
