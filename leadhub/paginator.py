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
        count = self._unfiltered_count()
        return super().count if count is None else count

    def _unfiltered_count(self):
        """For a query without WHERE on PostgreSQL: the planner's estimate, or an exact count
        while the table is small (or never analysed), in one query either way. Else None."""
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is None or query.where or query.is_sliced or query.distinct or query.combinator:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        with connection.cursor() as cursor:
            # CASE runs the COUNT sub-select only when its branch is taken.
            cursor.execute(
                "SELECT CASE WHEN reltuples >= %s THEN reltuples::bigint "
                f"ELSE (SELECT count(*) FROM {table}) END FROM pg_class WHERE oid = to_regclass(%s)",
                [EXACT_BELOW, table],
            )
            row = cursor.fetchone()
        return row[0] if row else None
