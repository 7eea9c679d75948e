"""Version 1 of the price of every listing that has been on the market (published, paused, held or closed): the
price it has today, which is the price it was published at (until now a listing on the market could not be
re-priced). Drafts get none: a draft's price becomes version 1 when it is first published."""

from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

PRICE_FIELDS = (
    "price_basis",
    "currency",
    "price_per_fine_gram_minor",
    "lbma_adjustment_bp",
    "premium_per_kg_fine_minor",
    "premium_currency",
)


def first_versions(apps, schema_editor):
    Listing = apps.get_model("listings", "Listing")
    ListingPrice = apps.get_model("listings", "ListingPrice")
    on_market = Listing.objects.exclude(status="draft").exclude(prices__number=1)
    rows = []
    for listing in on_market.iterator(chunk_size=2000):
        rows.append(
            ListingPrice(
                listing_id=listing.pk,
                number=1,
                created_by_id=listing.created_by_id,
                **{field: getattr(listing, field) for field in PRICE_FIELDS},
            )
        )
        if len(rows) == 2000:
            ListingPrice.objects.bulk_create(rows)
            rows = []
    ListingPrice.objects.bulk_create(rows)
    # The version dates from the listing's publication (or, never published, its last change): when its price
    # was offered, not when this migration ran.
    of_listing = Listing.objects.filter(pk=OuterRef("listing_id"))
    ListingPrice.objects.filter(number=1).update(
        created_at=Coalesce(Subquery(of_listing.values("published_at")), Subquery(of_listing.values("updated_at")))
    )


class Migration(migrations.Migration):
    dependencies = [("listings", "0009_price_versions")]
    operations = [migrations.RunPython(first_versions, migrations.RunPython.noop)]
