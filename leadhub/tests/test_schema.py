"""The migrated database carries every table and column of the seed schema, typed as the seed says."""
import re
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# The seed as the project received it (shared beside the checkout), and the copy kept in the
# repository so that a clone anywhere still checks its schema against it.
SHARED_SEED = ROOT.parent / "shared" / "seed-schema.md"
SEED = ROOT / "docs" / "seed-schema.md"

BLOCK = re.compile(r"^\s{4}([A-Z_]+) \{\n(.*?)^\s{4}\}", re.S | re.M)
COLUMN = re.compile(r"^\s+(INTEGER|TEXT|REAL|BOOLEAN|DATETIME|DATE)\s+(\w+)", re.M)

# How each seed type may be represented by a Django field on either database.
SEED_TYPE_TO_FIELDS = {
    "INTEGER": {"AutoField", "BigAutoField", "IntegerField", "BigIntegerField", "PositiveIntegerField",
                "PositiveSmallIntegerField", "ForeignKey"},
    "TEXT": {"CharField", "TextField", "EmailField", "URLField", "JSONField", "UUIDField", "ForeignKey"},
    "REAL": {"FloatField", "DecimalField"},
    "BOOLEAN": {"BooleanField"},
    "DATETIME": {"DateTimeField"},
    "DATE": {"DateField"},
}


def seed_tables():
    tables = {}
    for name, body in BLOCK.findall(SEED.read_text()):
        columns = tables.setdefault(name.lower(), {})
        for seed_type, column in COLUMN.findall(body):
            columns[column] = seed_type
    return tables


def test_seed_parses_to_nineteen_tables():
    tables = seed_tables()
    assert len(tables) == 19
    assert "id" in tables["contacts"] and "webhook_id" in tables["contacts"]


@pytest.mark.django_db
def test_every_seed_table_and_column_exists_in_the_database():
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        missing = []
        for table, columns in seed_tables().items():
            if table not in existing:
                missing.append(table)
                continue
            actual = {col.name for col in connection.introspection.get_table_description(cursor, table)}
            missing += [f"{table}.{column}" for column in columns if column not in actual]
    assert missing == []


def test_every_seed_column_has_a_model_field_of_the_seed_type():
    from django.apps import apps

    models_by_table = {model._meta.db_table: model for model in apps.get_models()}
    wrong = []
    for table, columns in seed_tables().items():
        fields = {field.column: field for field in models_by_table[table]._meta.concrete_fields}
        for column, seed_type in columns.items():
            internal = fields[column].get_internal_type()
            if internal not in SEED_TYPE_TO_FIELDS[seed_type]:
                wrong.append(f"{table}.{column}: seed {seed_type}, model {internal}")
    assert wrong == []


def test_the_repository_copy_of_the_seed_is_the_shared_seed():
    if not SHARED_SEED.exists():  # only the original checkout has the seed beside it
        pytest.skip(f"needs the shared seed at {SHARED_SEED} to compare docs/seed-schema.md with")
    assert SEED.read_text() == SHARED_SEED.read_text(), "docs/seed-schema.md drifted from ../shared/seed-schema.md"
