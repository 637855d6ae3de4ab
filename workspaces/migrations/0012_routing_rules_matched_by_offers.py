"""Routing rules are matched through their offers (distribution.OfferWhere / OfferProduct, made
by distribution 0002 and kept in sync since): the rules' own derived index rows go."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('workspaces', '0011_workspace_time_zone'),
        ('distribution', '0002_offers_from_rules'),
    ]

    operations = [
        migrations.DeleteModel(
            name='RoutingProductEntry',
        ),
        migrations.DeleteModel(
            name='RoutingZipEntry',
        ),
    ]
