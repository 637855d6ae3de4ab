"""Seed the default sales pipeline; lead `status` must name one of these active stages."""
from django.db import migrations

DEFAULT_STAGES = [
    ("new", "Just received, nobody has worked it yet."),
    ("contacted", "First contact made."),
    ("qualified", "Meets the buyer's criteria."),
    ("proposal_sent", "A proposal or quote was sent."),
    ("negotiating", "Terms are being discussed."),
    ("scheduled", "An appointment is scheduled."),
    ("converted", "Became revenue."),
    ("rejected", "Refused by the workspace or ops."),
    ("lost", "Went cold or chose a competitor."),
]


def seed_stages(apps, schema_editor):
    Stage = apps.get_model("leads", "LeadPipelineStage")
    for index, (name, description) in enumerate(DEFAULT_STAGES, start=1):
        Stage.objects.get_or_create(name=name, defaults={"description": description, "order_index": index * 10})


def unseed_stages(apps, schema_editor):
    apps.get_model("leads", "LeadPipelineStage").objects.filter(name__in=[n for n, _ in DEFAULT_STAGES]).delete()


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]
    operations = [migrations.RunPython(seed_stages, unseed_stages)]
