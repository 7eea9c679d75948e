"""Settling a signed contract the way a refinery does (docs/settlement.md): per shipment, the weighings and
assays of the two sides (and the umpire's), the statements issued from them, and the bank payments either
side records and the other confirms. Nothing here moves money: it records and reconciles.

Units as everywhere: grams as integer milligrams, fineness as integer tenths of per mille, money as integer
minor units with an ISO 4217 code.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import Currency
from core.units import FinenessField, GramsField
from trade.models import Contract, Side


class Party(models.TextChoices):
    SELLER = "seller", _("Seller (the producer)")
    BUYER = "buyer", _("Buyer")
    UMPIRE = "umpire", _("Umpire laboratory")


class Weighing(models.Model):
    """A shipment's gross weight as one side found it: the seller's declared weight at dispatch (the basis of
    the provisional payment), the buyer's received weight (the basis of the final statement)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="weighings")
    shipment = models.PositiveSmallIntegerField()  # the signed version's shipment number
    party = models.CharField(max_length=6, choices=Party.choices)  # seller or buyer
    gross_grams = GramsField()
    weighed_on = models.DateField()  # dispatch (seller) or receipt (buyer)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "shipment", "party"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "shipment", "party"], name="weighing_one_per_party"),
            models.CheckConstraint(condition=Q(party__in=["seller", "buyer"]), name="weighing_party_valid"),
            models.CheckConstraint(condition=Q(gross_grams__gt=0), name="weighing_grams_positive"),
            models.CheckConstraint(condition=Q(shipment__gte=1), name="weighing_shipment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} #{self.shipment} {self.party} {self.gross_grams} g"


class AssayResult(models.Model):
    """A fire assay of a shipment by the seller (its declared assay), the buyer, or the umpire laboratory."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="assay_results")
    shipment = models.PositiveSmallIntegerField()
    party = models.CharField(max_length=6, choices=Party.choices)
    au_per_mille = FinenessField()
    ag_per_mille = FinenessField(default=0)
    laboratory = models.CharField(max_length=200)
    certificate_number = models.CharField(max_length=80, blank=True)
    assayed_on = models.DateField()
    # The umpire's fee, in the contract's currency; who bears it follows the terms' umpire rule.
    cost_minor = models.BigIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "shipment", "party"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "shipment", "party"], name="assay_result_one_per_party"),
            models.CheckConstraint(
                condition=Q(party__in=["seller", "buyer", "umpire"]), name="assay_result_party_valid"
            ),
            models.CheckConstraint(
                condition=Q(au_per_mille__gte=0, au_per_mille__lte=1000)
                & Q(ag_per_mille__gte=0, ag_per_mille__lte=1000),
                name="assay_result_fineness_range",
            ),
            models.CheckConstraint(
                condition=Q(cost_minor__isnull=True) | (Q(party="umpire") & Q(cost_minor__gte=0)),
                name="assay_result_cost_for_umpire",
            ),
            models.CheckConstraint(condition=Q(shipment__gte=1), name="assay_result_shipment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} #{self.shipment} {self.party} Au {self.au_per_mille}"


class StatementKind(models.TextChoices):
    PROVISIONAL = "provisional", _("Provisional: on the declared weight and assay")
    FINAL = "final", _("Final: on the received weight and the settling assay")


class Statement(models.Model):
    """An issued settlement statement of one shipment, frozen: the lines as they were computed, in the
    contract's currency, with the prices and rates they used, and the SHA-256 of that document."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="statements")
    shipment = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=11, choices=StatementKind.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    # provisional: the amount to pay now; final: the balance after the provisional (negative: owed back)
    amount_due_minor = models.BigIntegerField()
    net_value_minor = models.BigIntegerField()  # the shipment's value after charges and premium
    document = models.JSONField()  # the whole statement, lines and rules
    digest = models.CharField(max_length=64)  # SHA-256 of the canonical JSON of `document`
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "shipment", "issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "shipment", "kind"], name="statement_one_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=["provisional", "final"]), name="statement_kind_valid"),
            models.CheckConstraint(condition=Q(shipment__gte=1), name="statement_shipment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} #{self.shipment} {self.kind}"


class PaymentKind(models.TextChoices):
    PROVISIONAL = "provisional", _("Provisional payment")
    FINAL = "final", _("Final balance")
    OTHER = "other", _("Other (an umpire's fee, an adjustment)")


class Payment(models.Model):
    """A bank transfer one side says it made to the other; the receiving side confirms it arrived. Only a
    confirmed payment counts toward the balance. The payer's bank reference is unique within the contract: the
    same transfer recorded twice is the same row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="payments")
    shipment = models.PositiveSmallIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=11, choices=PaymentKind.choices)
    payer = models.CharField(max_length=8, choices=Side.choices)  # buyer pays the producer, or back
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    paid_on = models.DateField()
    bank_reference = models.CharField(max_length=80)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "paid_on", "recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "payer", "bank_reference"], name="payment_reference_once"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(payer__in=["buyer", "producer"]), name="payment_payer_valid"),
            models.CheckConstraint(condition=Q(kind__in=["provisional", "final", "other"]), name="payment_kind_valid"),
            models.CheckConstraint(condition=~Q(bank_reference=""), name="payment_reference_named"),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True, confirmed_at__isnull=True)
                | Q(confirmed_by__isnull=False, confirmed_at__isnull=False),
                name="payment_confirmed_with_who",
            ),
        ]
        indexes = [models.Index(fields=["contract", "confirmed_at"], name="payment_contract_idx")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.payer} {self.amount_minor} {self.currency} {self.bank_reference}"
