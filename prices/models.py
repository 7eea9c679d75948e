"""Prices as data: the LBMA fixes, the USD/PEN exchange rate and the certified standards' minimum prices and
premiums (docs/settlement.md).

Every figure is a row with its source and the day it applies to, never a constant. A recorded fix or rate is
never edited: a correction is a new row that `replaces` the old one, which stops being `current` (the
database keeps one current row per benchmark and day, and per pair and day). Amounts are integers: a price
in thousandths of a US dollar per troy ounce of fine metal, a rate in millionths, percentages in basis
points, premiums in minor units of their currency.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import clock
from core.errors import Conflict
from core.money import Currency

PRICE_PLACES = Decimal("0.001")  # USD per troy ounce, to the tenth of a cent (the LBMA silver price has 3 places)
RATE_PLACES = Decimal("0.000001")  # units of the quote currency per unit of the base currency


class Benchmark(models.TextChoices):
    GOLD_AM = "lbma_gold_am", _("LBMA Gold Price AM (10:30 London)")
    GOLD_PM = "lbma_gold_pm", _("LBMA Gold Price PM (15:00 London)")
    SILVER = "lbma_silver", _("LBMA Silver Price (12:00 London)")


class MetalPrice(models.Model):
    """One fix of one benchmark on one day, in US dollars per troy ounce of fine metal."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    benchmark = models.CharField(max_length=16, choices=Benchmark.choices)
    date = models.DateField()  # the London day of the fix
    usd_per_troy_ounce_milli = models.BigIntegerField()  # 2650.350 USD -> 2650350
    source = models.CharField(max_length=200)  # where it was read: "LBMA, lbma.org.uk, Gold Price PM"
    sample = models.BooleanField(default=False)  # a demo figure, not a real fix: shown as such everywhere
    current = models.BooleanField(default=True)  # False once a correction replaced it
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    correction_reason = models.CharField(max_length=2000, blank=True)  # why it replaces `replaces` (shown publicly)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["benchmark", "-date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(benchmark__in=[b.value for b in Benchmark]), name="metal_price_benchmark_valid"
            ),
            models.CheckConstraint(condition=Q(usd_per_troy_ounce_milli__gt=0), name="metal_price_positive"),
            models.CheckConstraint(condition=~Q(source=""), name="metal_price_source_named"),
            models.UniqueConstraint(
                fields=["benchmark", "date"], condition=Q(current=True), name="metal_price_one_current_per_day"
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(correction_reason=""), name="metal_price_correction_explained"
            ),
        ]
        indexes = [models.Index(fields=["benchmark", "current", "date"], name="metal_price_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.benchmark} {self.date} {self.usd_per_troy_ounce}"

    @property
    def usd_per_troy_ounce(self) -> Decimal:
        return (Decimal(self.usd_per_troy_ounce_milli) * PRICE_PLACES).quantize(PRICE_PLACES)


class ExchangeRate(models.Model):
    """How many units of `quote` one unit of `base` buys on a day (USD/PEN: soles per dollar, SBS)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    base = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    quote = models.CharField(max_length=3, choices=Currency.choices, default=Currency.PEN)
    date = models.DateField()
    rate_micro = models.BigIntegerField()  # 3.745 PEN per USD -> 3745000
    source = models.CharField(max_length=200)  # "SBS, tipo de cambio promedio ponderado venta"
    sample = models.BooleanField(default=False)
    current = models.BooleanField(default=True)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    correction_reason = models.CharField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["base", "quote", "-date"]
        constraints = [
            models.CheckConstraint(condition=~Q(base=models.F("quote")), name="exchange_rate_two_currencies"),
            models.CheckConstraint(condition=Q(rate_micro__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(condition=~Q(source=""), name="exchange_rate_source_named"),
            models.UniqueConstraint(
                fields=["base", "quote", "date"], condition=Q(current=True), name="exchange_rate_one_current_per_day"
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(correction_reason=""), name="exchange_rate_correction_explained"
            ),
        ]
        indexes = [models.Index(fields=["base", "quote", "current", "date"], name="exchange_rate_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.base}/{self.quote} {self.date} {self.rate}"

    @property
    def rate(self) -> Decimal:
        return (Decimal(self.rate_micro) * RATE_PLACES).quantize(RATE_PLACES)


class TermsInForce(Conflict):
    """A change to certification terms already in force (or that were): a new row is the only change."""

    code = "edits_the_past"


class PremiumRule(models.TextChoices):
    PER_KG_FINE = "per_kg_fine", _("An amount per kilogram of fine gold")
    PERCENT_OF_LBMA = "percent_of_lbma", _("A percentage of the LBMA Gold Price")


class CertificationTerms(models.Model):
    """What a certified standard asks of the price of its gold, from `valid_from` on: the minimum price as a
    share of the LBMA Gold Price, and the premium paid on top of whichever price applies. The row in force on
    a day is the latest whose `valid_from` is not after it; a change is a new row (rows in force are read-only)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey("compliance.Claim", on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    minimum_price_bp = models.PositiveIntegerField()  # of the LBMA Gold Price: 9500 = 95 %
    premium_rule = models.CharField(max_length=16, choices=PremiumRule.choices)
    premium_per_kg_fine_minor = models.BigIntegerField(null=True, blank=True)  # per_kg_fine
    premium_currency = models.CharField(max_length=3, choices=Currency.choices, null=True, blank=True)
    premium_percent_bp = models.PositiveIntegerField(null=True, blank=True)  # percent_of_lbma: 1500 = 15 %
    source = models.CharField(max_length=300)  # the standard's text the figures come from
    source_date = models.DateField()  # the date of that text
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "-valid_from"]
        verbose_name_plural = "certification terms"
        constraints = [
            models.UniqueConstraint(fields=["claim", "valid_from"], name="certification_terms_one_per_day"),
            models.CheckConstraint(
                condition=Q(minimum_price_bp__gte=0, minimum_price_bp__lte=10000), name="certification_minimum_range"
            ),
            models.CheckConstraint(
                condition=(
                    Q(premium_rule="per_kg_fine")
                    & Q(premium_per_kg_fine_minor__gte=0, premium_currency__isnull=False)
                    & Q(premium_percent_bp__isnull=True)
                )
                | (
                    Q(premium_rule="percent_of_lbma")
                    & Q(premium_percent_bp__gte=0, premium_percent_bp__lte=10000)
                    & Q(premium_per_kg_fine_minor__isnull=True, premium_currency__isnull=True)
                ),
                name="certification_premium_matches_rule",
            ),
            models.CheckConstraint(condition=~Q(source=""), name="certification_source_named"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} from {self.valid_from}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A row in force (or that was) is never edited: offers and contracts were judged by it, and contract
        versions point at it. A row that takes effect after today may still be changed, but not into the past.
        (A new row dated before today is refused by `prices.services.certification_terms_record`; the ORM lets
        tests and the seeding migration write history.)"""
        if not self._state.adding:
            today = clock.today_lima()
            stored = type(self).objects.filter(pk=self.pk).values_list("valid_from", flat=True).first()
            if stored is not None and stored <= today:
                raise TermsInForce(_("These certification terms are in force: record a new row instead of editing."))
            if self.valid_from < today:
                raise TermsInForce(_("Certification terms cannot take effect before today."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.valid_from <= clock.today_lima():
            raise TermsInForce(_("These certification terms are in force: they cannot be deleted."))
        return super().delete(*args, **kwargs)
