"""Copy each rule's priority, age, switch and workspace onto its ZIP entries, so one index lists a
bucket in winning order. The entries are derived: dropped, then rebuilt from the rules."""
import django.db.models.deletion
from django.db import migrations, models


def drop_entries(apps, schema_editor):
    apps.get_model("workspaces", "RoutingZipEntry").objects.all().delete()


def rebuild_entries(apps, schema_editor):
    from workspaces.zips import ANY, ZipEntryKind, parse_zip_entry

    Rule = apps.get_model("workspaces", "AppointmentRoutingRule")
    ZipEntry = apps.get_model("workspaces", "RoutingZipEntry")
    for rule in Rule.objects.all():
        copied = dict(rule=rule, workspace_id=rule.workspace_id, priority=rule.priority,
                      rule_created_at=rule.created_at, is_active=rule.is_active)
        rows = []
        if not rule.zip_codes:
            rows.append(ZipEntry(bucket=ANY, kind=ZipEntryKind.ANY, low="00000", high="99999", span=100000,
                                 entry="any ZIP", **copied))
        for entry in dict.fromkeys(str(z).strip() for z in rule.zip_codes):
            for text in (entry, entry[:5]):  # entries the old matcher took loosely (ZIP+4) by their first 5
                try:
                    kind, low, high = parse_zip_entry(text)
                except ValueError:
                    continue
                first, last = int(low[:3]), int(high[:3])
                buckets = [low] if kind == ZipEntryKind.EXACT else [f"{p:03d}" for p in range(first, last + 1)]
                rows += [ZipEntry(bucket=b, kind=kind, low=low, high=high, span=int(high) - int(low) + 1,
                                  entry=text, **copied) for b in buckets]
                break
        ZipEntry.objects.bulk_create(rows)


class Migration(migrations.Migration):

    dependencies = [
        ("workspaces", "0004_routing_entries"),
    ]

    operations = [
        migrations.RunPython(drop_entries, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="routingzipentry", name="routing_zip_bucket_idx"),
        migrations.AddField(
            model_name="routingzipentry",
            name="is_active",
            field=models.BooleanField(default=True),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="routingzipentry",
            name="priority",
            field=models.PositiveIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="routingzipentry",
            name="rule_created_at",
            field=models.DateTimeField(default="2000-01-01T00:00:00Z"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="routingzipentry",
            name="workspace",
            field=models.ForeignKey(
                db_index=False, default="", on_delete=django.db.models.deletion.CASCADE, related_name="+",
                to="workspaces.workspace",
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="routingzipentry",
            index=models.Index(
                fields=["bucket", "-priority", "kind", "span", "rule_created_at", "rule"], name="routing_zip_walk_idx"
            ),
        ),
        migrations.RunPython(rebuild_entries, migrations.RunPython.noop),
    ]
