"""The return reasons every platform starts with; ops add, relabel or switch them off in the admin."""
from django.db import migrations

REASONS = [
    ("non_working_phone", "Non-working phone", "invalid_phone"),
    ("wrong_number", "Wrong number (another person)", ""),
    ("duplicate", "Duplicate of a lead already bought", "duplicate"),
    ("not_interested", "Not interested", ""),
    ("out_of_area", "Out of area", ""),
    ("fraud", "Fraud", ""),
    ("other", "Other (say what in the note)", ""),
]


def seed(apps, schema_editor):
    ReturnReason = apps.get_model("returns", "ReturnReason")
    for code, label, auto_approve in REASONS:
        ReturnReason.objects.get_or_create(code=code, defaults={"label": label, "auto_approve": auto_approve})


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_returns")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
