"""Offers of gold. No float ever holds a weight, a fineness or a price: grams are integer milligrams,
fineness integer tenths of per mille, prices integer minor units, percentages integer basis points."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, NoReturn

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.money import Currency
from core.units import FinenessField, GramsField, fine_grams, karat, troy_ounces
from producers.models import Producer, Site
from provenance.models import Form  # the vocabularies of gold forms and methods live in provenance


class FinenessBasis(models.TextChoices):
    FIELD_ESTIMATE = "field_estimate", _("Field estimate")
    XRF = "xrf", _("XRF reading")
    LAB_ASSAY = "lab_assay", _("Laboratory assay")


class PriceBasis(models.TextChoices):
    FIXED = "fixed", _("Fixed price per fine gram")
    LBMA_AM = "lbma_am", _("LBMA Gold Price AM, plus or minus a percentage")
    LBMA_PM = "lbma_pm", _("LBMA Gold Price PM, plus or minus a percentage")


class Incoterm(models.TextChoices):
    EXW = "EXW", "EXW"
    FCA = "FCA", "FCA"
    CPT = "CPT", "CPT"
    CIP = "CIP", "CIP"
    DAP = "DAP", "DAP"
    DPU = "DPU", "DPU"
    DDP = "DDP", "DDP"


class Kind(models.TextChoices):
    SPOT = "spot", _("Spot: recorded lots")  # quantity, fineness, form, methods and sites come from the lots
    FORWARD = "forward", _("Forward: future production of named sites")  # with a monthly capacity


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")  # being written; nobody else sees it
    HELD = "held", _("Held for review")  # a forward capacity above what the sites declared producing
    PUBLISHED = "published", _("Published")  # offered; visible while the producer is compliant
    PAUSED = "paused", _("Paused")  # taken off the market for a while by the producer
    CLOSED = "closed", _("Closed")  # withdrawn or sold out, for good


# move -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "publish": (("draft",), "published"),  # or "held" when the volume is not plausible
    "release": (("held",), "published"),  # a reviewer found the volume plausible
    "pause": (("published",), "paused"),
    "resume": (("paused",), "published"),
    "withdraw": (("draft", "held", "published", "paused"), "closed"),
}


class Listing(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="listings")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FORWARD)
    sites = models.ManyToManyField(Site, related_name="listings")
    form = models.CharField(max_length=24, choices=Form.choices)
    quantity_grams = GramsField()  # offered in total
    available_grams = GramsField()  # not yet under contract
    min_order_grams = GramsField()
    monthly_capacity_grams = GramsField(null=True, blank=True)  # forward: what the sites can deliver a month
    fineness = FinenessField()  # per mille, one decimal
    fineness_basis = models.CharField(max_length=16, choices=FinenessBasis.choices)
    processing_methods = models.JSONField(default=list)
    price_basis = models.CharField(max_length=10, choices=PriceBasis.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    price_per_fine_gram_minor = models.BigIntegerField(null=True, blank=True)  # fixed basis
    lbma_adjustment_bp = models.IntegerField(null=True, blank=True)  # LBMA bases: -200 = fix minus 2 %
    # Minor units of `premium_currency` per kilogram of fine gold (e.g. the Fairmined premium).
    premium_per_kg_fine_minor = models.BigIntegerField(default=0)
    premium_currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices)
    incoterm_place = models.CharField(max_length=120)
    valid_from = models.DateField()
    valid_until = models.DateField()
    title_es = models.CharField(max_length=160)
    title_en = models.CharField(max_length=160, blank=True)
    description_es = models.TextField(blank=True, max_length=5000)
    description_en = models.TextField(blank=True, max_length=5000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    close_reason = models.CharField(max_length=12, blank=True)  # "withdrawn" | "sold_out"
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="listing_status_valid"),
            models.CheckConstraint(condition=Q(quantity_grams__gt=0), name="listing_quantity_positive"),
            models.CheckConstraint(
                condition=Q(available_grams__gte=0) & Q(available_grams__lte=F("quantity_grams")),
                name="listing_available_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(min_order_grams__gt=0) & Q(min_order_grams__lte=F("quantity_grams")),
                name="listing_min_order_within_quantity",
            ),
            models.CheckConstraint(condition=Q(fineness__gte=0, fineness__lte=1000), name="listing_fineness_range"),
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="listing_window_ordered"),
            models.CheckConstraint(
                condition=(
                    Q(price_basis="fixed") & Q(price_per_fine_gram_minor__gt=0) & Q(lbma_adjustment_bp__isnull=True)
                )
                | (
                    Q(price_basis__in=["lbma_am", "lbma_pm"], currency="USD", price_per_fine_gram_minor__isnull=True)
                    & Q(lbma_adjustment_bp__gte=-5000, lbma_adjustment_bp__lte=5000)
                ),
                name="listing_price_matches_basis",
            ),
            models.CheckConstraint(condition=Q(premium_per_kg_fine_minor__gte=0), name="listing_premium_not_negative"),
            models.CheckConstraint(
                condition=Q(premium_currency__in=[c.value for c in Currency]), name="listing_premium_currency_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind="spot") & Q(monthly_capacity_grams__isnull=True))
                | (
                    Q(kind="forward")
                    & Q(monthly_capacity_grams__isnull=False)
                    & Q(monthly_capacity_grams__gt=0)
                    & Q(monthly_capacity_grams__lte=F("quantity_grams"))
                ),
                name="listing_capacity_matches_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "valid_until"], name="listing_status_validity_idx"),
            models.Index(fields=["producer", "status"], name="listing_producer_status_idx"),
            models.Index(fields=["form", "fineness"], name="listing_form_fineness_idx"),
        ]

    def __str__(self) -> str:
        return self.title_es

    @property
    def fine_grams(self) -> Decimal:
        return fine_grams(self.available_grams, self.fineness)

    @property
    def troy_ounces(self) -> Decimal:
        """Troy ounces of fine gold: prices are per troy ounce of fine gold, never of the gross weight."""
        return troy_ounces(self.fine_grams)

    @property
    def karat(self) -> Decimal:
        return karat(self.fineness)


# The fields that make a listing's price: what a version of it keeps and what a re-price sets.
PRICE_FIELDS = (
    "price_basis",
    "currency",
    "price_per_fine_gram_minor",
    "lbma_adjustment_bp",
    "premium_per_kg_fine_minor",
    "premium_currency",
)


class ListingPriceIsImmutable(Exception):
    """A price version is history: it is never changed (a new price is a new version)."""


class ListingPriceQuerySet(models.QuerySet["ListingPrice"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ListingPriceIsImmutable("listing price versions cannot be updated")


class ListingPrice(models.Model):
    """One version of a listing's price, numbered 1..n within the listing and never changed. Version 1 is the
    price the listing was first published at; each re-price of a listing on the market writes the next one
    (`listings.pricing`). Editing a draft writes none: a draft is not an offer yet."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="prices")
    number = models.PositiveIntegerField()
    price_basis = models.CharField(max_length=10, choices=PriceBasis.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    price_per_fine_gram_minor = models.BigIntegerField(null=True, blank=True)
    lbma_adjustment_bp = models.IntegerField(null=True, blank=True)
    premium_per_kg_fine_minor = models.BigIntegerField(default=0)
    premium_currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ListingPriceQuerySet.as_manager()

    class Meta:
        ordering = ["listing", "number"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "number"], name="listing_price_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="listing_price_number_positive"),
            models.CheckConstraint(
                condition=(
                    Q(price_basis="fixed") & Q(price_per_fine_gram_minor__gt=0) & Q(lbma_adjustment_bp__isnull=True)
                )
                | (
                    Q(price_basis__in=["lbma_am", "lbma_pm"], currency="USD", price_per_fine_gram_minor__isnull=True)
                    & Q(lbma_adjustment_bp__gte=-5000, lbma_adjustment_bp__lte=5000)
                ),
                name="listing_price_version_matches_basis",
            ),
            models.CheckConstraint(
                condition=Q(premium_per_kg_fine_minor__gte=0), name="listing_price_version_premium_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} price v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ListingPriceIsImmutable("listing price versions cannot be updated")
        super().save(*args, **kwargs)

    def terms(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in PRICE_FIELDS}


class ListingLot(models.Model):
    """A recorded lot that a spot listing offers. `live` while the listing may still sell it: a lot is in at
    most one live listing (the database says so); withdrawing the listing lets its lots go."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="listing_lots")
    lot = models.ForeignKey("provenance.Lot", on_delete=models.PROTECT, related_name="listing_rows")
    live = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "lot"], name="listing_lot_once"),
            models.UniqueConstraint(fields=["lot"], condition=Q(live=True), name="lot_in_one_live_listing"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.lot_id}"


class ListingClaim(models.Model):
    """A claim a listing makes ("mercury_free", "fairmined"...): shown only while the producer's evidence
    backs it today. A row each, so that search can filter by claims on every database."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="claim_rows")
    claim = models.ForeignKey("compliance.Claim", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["listing", "claim"], name="listing_claim_unique")]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.claim_id}"


class SourcingRequest(models.Model):
    """A buyer's standing need. Producers see it without the buyer's name until they reply."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")  # matches are computed and new matching offers are notified
        CLOSED = "closed", _("Closed")  # the buyer no longer looks

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="sourcing_requests")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=160)
    grams = GramsField()  # wanted per delivery
    min_fineness = FinenessField()
    forms = models.JSONField(default=list, blank=True)  # empty: any form
    claims = models.JSONField(default=list, blank=True)  # all of them must hold
    max_price_per_fine_gram_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices, blank=True)
    delivery_from = models.DateField()
    delivery_until = models.DateField()
    notes = models.TextField(blank=True, max_length=2000)
    state = models.CharField(max_length=6, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(grams__gt=0), name="sourcing_grams_positive"),
            models.CheckConstraint(condition=Q(min_fineness__gte=0, min_fineness__lte=1000), name="sourcing_fineness"),
            models.CheckConstraint(condition=Q(delivery_until__gte=F("delivery_from")), name="sourcing_window"),
            models.CheckConstraint(condition=Q(state__in=["open", "closed"]), name="sourcing_state_valid"),
        ]
        indexes = [models.Index(fields=["state", "min_fineness"], name="sourcing_state_idx")]

    def __str__(self) -> str:
        return self.title


class MatchNotified(models.Model):
    """A buyer is told about a matching listing once, whatever publishes or resumes it again."""

    sourcing_request = models.ForeignKey(SourcingRequest, on_delete=models.CASCADE, related_name="notified")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sourcing_request", "listing"], name="match_notified_once"),
        ]

    def __str__(self) -> str:
        return f"{self.sourcing_request_id} ~ {self.listing_id}"


class ListingPhoto(models.Model):
    """A public photo of the offer, re-encoded from the upload so no location or camera metadata leaves."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField()
    file = models.CharField(max_length=200)  # name in the default storage
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["listing", "position"], name="listing_photo_position_unique")]

    def __str__(self) -> str:
        return f"{self.listing_id}/{self.position}"


class SearchGeneration(models.Model):
    """One row: a counter that goes up after every committed write to the catalogue (listings.search_cache).
    Kept answers of the public search carry the value they were computed at."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"search generation {self.value}"


class SearchEntry(models.Model):
    """The search read model: one row per listing that search can return, with what search filters, sorts,
    ranks and shows (listings.search_index keeps it). A row exists while the listing is published, has grams
    left, its producer is verified, every site is approved and no open high red flag suspends it; the listing
    is visible on the days from `visible_from` to `visible_until`, the dates the stored verdicts give (the
    policy of the producer's kind at each of its sites, every claim at every site, the listing's window), so a
    lapse hides it at midnight in Lima with no job. On PostgreSQL the table also holds `document` (the
    listing's search document) and `title_document` (its titles alone), stored tsvectors the model does not
    declare (migration 0012)."""

    listing = models.OneToOneField(Listing, on_delete=models.CASCADE, primary_key=True, related_name="search_entry")
    producer = models.ForeignKey(Producer, on_delete=models.CASCADE, related_name="+")
    visible_from = models.DateField()
    visible_until = models.DateField()
    # The first day a later policy version may change the answer that the dates cannot say (a listing hidden
    # for a while and offered again under a laxer policy): `refresh_search_index --due` looks again then.
    recheck_on = models.DateField(null=True, blank=True)
    district = models.CharField(max_length=32)
    producer_kind = models.CharField(max_length=16)
    kind = models.CharField(max_length=8)
    form = models.CharField(max_length=24)
    fineness = FinenessField()
    fineness_basis = models.CharField(max_length=16)
    available_grams = GramsField()
    min_order_grams = GramsField()
    incoterm = models.CharField(max_length=3)
    price_basis = models.CharField(max_length=10)
    currency = models.CharField(max_length=3)
    price_per_fine_gram_minor = models.BigIntegerField(null=True, blank=True)
    lbma_adjustment_bp = models.IntegerField(null=True, blank=True)
    premium_per_kg_fine_minor = models.BigIntegerField(default=0)
    premium_currency = models.CharField(max_length=3)
    # US cents per fine gram at the latest fixes and rate (listings.indicative); null when a figure is missing.
    indicative_cents = models.BigIntegerField(null=True, blank=True)
    claims = models.CharField(max_length=400)  # ",fairmined,mercury_free," (every one backed at every site)
    valid_until = models.DateField()
    created_at = models.DateTimeField()
    # Microseconds since 1970 of `created_at`: below 2**51 until the year 2041, so that relevance orders by
    # one integer, tier × 2**51 + this, and pages by it (listings.selectors.search).
    created_key = models.BigIntegerField()
    # Titles and descriptions folded (lower case, no Spanish accents): the text search on SQLite, and the
    # title-first ranking there.
    search_text = models.TextField()
    title_text = models.TextField()
    # What a search row shows of the listing, as the API renders it (listings.cards), but the indicative price.
    card = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["producer"], name="search_entry_producer_idx"),
            # The catalogue's default order, newest first (a page walks it and stops at 21 rows).
            models.Index(fields=["-created_key", "listing"], name="search_entry_newest_idx"),
            models.Index(fields=["form", "fineness"], name="search_entry_form_idx"),
            models.Index(fields=["recheck_on"], name="search_entry_recheck_idx", condition=Q(recheck_on__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"search entry {self.listing_id}: {self.visible_from}..{self.visible_until}"


class SearchScope(models.Model):
    """A counter per scope of the catalogue (`district:<code>`), raised after a commit that changed what a search
    answer in that scope shows (listings.search_cache): a change to one producer's search rows empties the
    kept answers that can contain its district, not every kept answer."""

    scope = models.CharField(max_length=60, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope}: {self.value}"
