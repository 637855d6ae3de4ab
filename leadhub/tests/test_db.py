"""leadhub.db.prepared_fetchall: the hot path's fixed-shape queries, prepared once per connection."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadhub.db import prepared_fetchall

pytestmark = pytest.mark.django_db

QUERY = "SELECT id, name FROM workspaces WHERE id = %s OR name = %s ORDER BY id"


def test_it_binds_parameters_as_data_and_returns_rows():
    from leadhub.testing import make_workspace

    workspace = make_workspace(name="Ada's")
    assert prepared_fetchall(QUERY, [workspace.pk, "x' OR '1'='1"]) == [(workspace.pk, "Ada's")]
    assert prepared_fetchall(QUERY, ["nobody", "Ada's"]) == [(workspace.pk, "Ada's")]


def test_a_query_log_keeps_its_sql_text():
    with CaptureQueriesContext(connection) as captured:
        prepared_fetchall(QUERY, ["a", "b"])
    assert [q["sql"].startswith("SELECT id, name FROM workspaces") for q in captured.captured_queries] == [True]


@pytest.mark.postgres_only
def test_on_postgresql_the_plan_is_prepared_once_and_reused():
    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                           ["SELECT id, name FROM workspaces%"])
            return cursor.fetchone()[0]

    prepared_fetchall(QUERY, ["a", "a"])
    once = prepared()
    for name in ("b", "c", "d"):
        prepared_fetchall(QUERY, [name, name])
    assert once >= 1 and prepared() == once
