"""Read-only: publishing, pausing, quantities under contract and sourcing requests change only through the
API's services, which apply the publication gate and record the audit event."""

from django.contrib import admin

from audit.admin_mixins import ReadOnlyAdmin
from listings.models import Listing, ListingClaim, ListingPhoto, ListingPrice, SourcingRequest


class ListingClaimInline(ReadOnlyAdmin, admin.TabularInline):
    model = ListingClaim
    extra = 0


class ListingPhotoInline(ReadOnlyAdmin, admin.TabularInline):
    model = ListingPhoto
    extra = 0
    fields = ["position", "file", "width", "height", "size"]


class ListingPriceInline(ReadOnlyAdmin, admin.TabularInline):
    model = ListingPrice
    extra = 0
    fields = readonly_fields = (  # read-only: created_at is not editable, and a version is never changed
        "number",
        "price_basis",
        "currency",
        "price_per_fine_gram_minor",
        "lbma_adjustment_bp",
        "premium_per_kg_fine_minor",
        "premium_currency",
        "reason",
        "created_by",
        "created_at",
    )


@admin.register(Listing)
class ListingAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["title_es", "producer", "form", "status", "available_grams", "valid_until", "created_at"]
    list_filter = ["status", "form", "price_basis"]
    search_fields = ["title_es", "title_en", "producer__organization__legal_name"]
    inlines = [ListingClaimInline, ListingPhotoInline, ListingPriceInline]


@admin.register(SourcingRequest)
class SourcingRequestAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["title", "buyer", "grams", "min_fineness", "state", "delivery_until", "created_at"]
    list_filter = ["state"]
    search_fields = ["title", "buyer__legal_name"]
