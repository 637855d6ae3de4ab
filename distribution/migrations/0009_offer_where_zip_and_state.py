"""An offer's ZIP entries (or radius) and its states narrow together: a lead must be in one of
its ZIP entries AND one of its states, as forwarding rules always matched. Before, each was its
own where-row and either took the lead (an offer for `941*` and `CA` bought a lead from 90210).
The derived rows of every offer with both are rebuilt from the offer: its ZIP rows narrowed to
each state (`941@CA`); offers with only one of them keep their rows."""
from django.db import migrations


def offers_where_rebuild(apps, schema_editor):
    from distribution.models import where_values

    Offer = apps.get_model("distribution", "Offer")
    OfferWhere = apps.get_model("distribution", "OfferWhere")
    both = Offer.objects.exclude(states=[]).exclude(zip_codes=[], radius_zip="").order_by("id")
    for offer in both.iterator(chunk_size=500):
        offer.where_rows.all().delete()
        OfferWhere.objects.bulk_create([OfferWhere(offer=offer, **row) for row in where_values(offer)],
                                       batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("distribution", "0008_buyer_phone_window"),
    ]

    operations = [
        migrations.RunPython(offers_where_rebuild, migrations.RunPython.noop),
    ]
