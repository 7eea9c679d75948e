"""Lots (physical batches of gold), where they came from, their assays, their chain of custody, and the
mass-balance policy (docs/provenance.md).

The vocabularies of gold forms and processing methods live here, below listings, which offer gold in the
same words.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from core.units import GRAM_PLACES, FinenessField, GramsField
from producers.models import Producer, Site


class Form(models.TextChoices):
    """What gold is offered and recorded as: one vocabulary for lots and listings (a spot listing takes its
    form from its lots)."""

    DORE = "dore", _("Doré (borax-smelted bar)")
    SPONGE = "sponge", _("Sponge")
    NUGGET = "nugget", _("Nugget")
    FLAKE_DUST = "flake_dust", _("Flakes and dust")
    GRAVITY_CONCENTRATE = "gravity_concentrate", _("Gravity concentrate")


class ProcessingMethod(models.TextChoices):
    """How the gold was recovered, for lots and listings alike."""

    SLUICE = "sluice", _("Sluice")
    SHAKING_TABLE = "shaking_table", _("Shaking table")
    CENTRIFUGE = "centrifuge", _("Centrifuge")
    PANNING = "panning", _("Panning")
    BORAX_SMELTING = "borax_smelting", _("Borax smelting")
    MAGNETIC_SEPARATION = "magnetic_separation", _("Magnetic separation")
    CYANIDATION = "cyanidation", _("Cyanidation")
    AMALGAMATION_WITH_RETORT = "amalgamation_with_retort", _("Amalgamation with retort (never mercury-free)")


MERCURY_METHODS = frozenset({ProcessingMethod.AMALGAMATION_WITH_RETORT})


def provenance_storage():  # type: ignore[no-untyped-def]
    """Assay certificates and custody documents: the private evidence storage."""
    return storages["evidence"]


class AppendOnly(models.Model):
    """A row that is written once: saving it again is a bug."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)


class Lot(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="lots")
    code = models.CharField(max_length=40)  # the producer's own: "L-0412"
    form = models.CharField(max_length=24, choices=Form.choices)
    gross_grams = GramsField()
    declared_fineness = FinenessField()
    production_from = models.DateField()
    production_to = models.DateField()
    processing_methods = models.JSONField(default=list)
    seal_number = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["producer", "code"], name="lot_code_unique_per_producer"),
            models.CheckConstraint(condition=Q(gross_grams__gt=0), name="lot_gross_positive"),
            models.CheckConstraint(
                condition=Q(declared_fineness__gt=0) & Q(declared_fineness__lte=Decimal(1000)),
                name="lot_fineness_range",
            ),
            models.CheckConstraint(
                condition=Q(production_from__lte=F("production_to")), name="lot_production_window_ordered"
            ),
        ]
        indexes = [models.Index(fields=["producer", "created_at"], name="lot_producer_created_idx")]

    def __str__(self) -> str:
        return self.code

    def fineness_in_force(self) -> Decimal:
        """The latest fire assay's Au ‰, else the declared fineness (XRF is indicative only)."""
        fire = [a for a in self.assays.all() if a.method == AssayMethod.FIRE_ASSAY]
        return max(fire, key=lambda a: a.position).au_per_mille if fire else self.declared_fineness

    @property
    def fine_grams(self) -> Decimal:
        """gross × fineness / 1000, rounded down to the milligram (never more gold than there is)."""
        return (self.gross_grams * self.fineness_in_force() / Decimal(1000)).quantize(GRAM_PLACES, rounding=ROUND_DOWN)


class LotSource(models.Model):
    """Grams of a lot from one of the producer's sites, produced in one calendar month."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="sources")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="lot_sources")
    month = models.DateField()  # the first day of the month
    grams = GramsField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "site", "month"], name="lot_source_once"),
            models.CheckConstraint(condition=Q(grams__gt=0), name="lot_source_positive"),
        ]
        indexes = [models.Index(fields=["site", "month"], name="lot_source_site_month_idx")]

    def __str__(self) -> str:
        return f"{self.lot_id} {self.site_id} {self.month:%Y-%m}: {self.grams} g"


class AssayMethod(models.TextChoices):
    FIRE_ASSAY = "fire_assay", _("Fire assay (ISO 11426)")
    XRF = "xrf", _("XRF (indicative only)")


class StoredFile(models.Model):
    """A file checked by core.uploads, kept byte-exact in the private storage with its SHA-256."""

    file = models.FileField(storage=provenance_storage, max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    original_name = models.CharField(max_length=120, blank=True)

    class Meta:
        abstract = True


class AssayCertificate(AppendOnly, StoredFile):
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="assays")
    position = models.PositiveSmallIntegerField()  # 1, 2, 3... as in lots/{id}/assays/{n}/file/
    laboratory = models.CharField(max_length=200)
    method = models.CharField(max_length=20, choices=AssayMethod.choices)
    au_per_mille = FinenessField()
    ag_per_mille = FinenessField()
    certificate_number = models.CharField(max_length=80)
    assayed_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["lot", "position"], name="assay_position_unique")]

    def __str__(self) -> str:
        return f"{self.lot_id}/{self.position}"


class CustodyKind(models.TextChoices):
    """In this order, each at most once; `exported` may be skipped."""

    RECORDED = "recorded", _("Recorded at the plant")
    SEALED = "sealed", _("Sealed")
    HANDED_TO_CARRIER = "handed_to_carrier", _("Handed to the carrier")
    EXPORTED = "exported", _("Exported")
    RECEIVED_BY_BUYER = "received_by_buyer", _("Received and weighed by the buyer")


CUSTODY_ORDER: tuple[str, ...] = tuple(CustodyKind.values)
# What a member records after the lot itself (`recorded` comes with the lot).
NEXT_CUSTODY_KINDS = [choice for choice in CustodyKind.choices if choice[0] != CustodyKind.RECORDED]
CUSTODY_OPTIONAL = frozenset({CustodyKind.EXPORTED.value})


class CustodyEvent(AppendOnly, StoredFile):
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="custody")
    seq = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=CustodyKind.choices)
    occurred_at = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    weight_grams = GramsField(null=True, blank=True)
    seal_number = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "seq"], name="custody_seq_unique"),
            models.UniqueConstraint(fields=["lot", "kind"], name="custody_kind_once"),
            models.CheckConstraint(
                condition=Q(weight_grams__isnull=True) | Q(weight_grams__gt=0), name="custody_weight_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_id} #{self.seq} {self.kind}"


class MassBalancePolicy(models.Model):
    """How much gold may leave a site-month beyond what was declared, as of a date (versioned data)."""

    effective_from = models.DateField(unique=True)
    tolerance_bp = models.PositiveIntegerField(default=0)  # basis points of the declared grams
    source = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name_plural = "mass balance policies"

    def __str__(self) -> str:
        return f"{self.tolerance_bp} bp from {self.effective_from}"

    @classmethod
    def in_force(cls, today: dt.date) -> MassBalancePolicy | None:
        return cls.objects.filter(effective_from__lte=today).order_by("-effective_from").first()
