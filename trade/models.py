"""Trade between a buyer organisation and a producer: inquiries with their threads of messages, and contracts
with immutable, numbered versions of their terms and the two acceptances that sign them.

Units as in listings: grams as integer milligrams, fineness as integer tenths of per mille, money as integer
minor units with an ISO 4217 code, percentages as integer basis points. Deposits (paid through Stripe, see
`trade.deposits`) point at `Contract`: at most one active per contract.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import Currency
from core.units import FinenessField, GramsField
from listings.models import Incoterm, Listing, PriceBasis, SourcingRequest
from producers.models import Producer, Site


class Side(models.TextChoices):
    PRODUCER = "producer", _("Producer")
    BUYER = "buyer", _("Buyer")


class BetweenTwoParties:
    """What inquiries and contracts share: a buyer organisation and a producer, and which side one is."""

    buyer_id: Any
    producer_id: Any

    def side_of(self, organization_id: object) -> str | None:
        if organization_id == self.buyer_id:
            return Side.BUYER
        if organization_id == self.producer_id:
            return Side.PRODUCER
        return None


class Inquiry(BetweenTwoParties, models.Model):
    """A buyer's question about a listing, or to a producer directly; a producer's answer to a sourcing
    request. Only the two organisations (and reviewers and staff, read-only) see it."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")  # the two organisations write to each other
        CLOSED = "closed", _("Closed")  # either side closed it: the thread is kept, no more messages

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="inquiries")
    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="inquiries")
    listing = models.ForeignKey(Listing, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries")
    sourcing_request = models.ForeignKey(
        SourcingRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="inquiries"
    )
    opened_by = models.CharField(max_length=8, choices=Side.choices)  # which side asked first
    grams = GramsField()
    target_price_per_fine_gram_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    state = models.CharField(max_length=6, choices=State.choices, default=State.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The day the buyer was told the listing is no longer offered (a lapse, a pause, sold out); cleared, and
    # the buyer told again, when it is offered again. Written by trade.notices, the daily sweep.
    listing_hidden_since = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "inquiries"
        constraints = [
            models.CheckConstraint(condition=Q(state__in=["open", "closed"]), name="inquiry_state_valid"),
            models.CheckConstraint(condition=Q(opened_by__in=["buyer", "producer"]), name="inquiry_opened_by_valid"),
            models.CheckConstraint(condition=Q(grams__gt=0), name="inquiry_grams_positive"),
            models.CheckConstraint(
                condition=Q(target_price_per_fine_gram_minor__isnull=True) | Q(target_price_per_fine_gram_minor__gt=0),
                name="inquiry_target_price_positive",
            ),
            models.CheckConstraint(
                condition=Q(state="open", closed_at__isnull=True) | Q(state="closed", closed_at__isnull=False),
                name="inquiry_closed_at_when_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "state", "created_at"], name="inquiry_buyer_idx"),
            models.Index(fields=["producer", "state", "created_at"], name="inquiry_producer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.buyer_id} ↔ {self.producer_id}"


class InquiryMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(side__in=["buyer", "producer"]), name="inquiry_message_side_valid"),
            models.CheckConstraint(condition=~Q(body=""), name="inquiry_message_not_empty"),
        ]
        indexes = [models.Index(fields=["inquiry", "created_at"], name="inquiry_message_thread_idx")]

    def __str__(self) -> str:
        return f"{self.inquiry_id} #{self.created_at:%Y-%m-%d %H:%M}"


class ContractState(models.TextChoices):
    NEGOTIATING = "negotiating", _("Negotiating")  # versions of the terms go back and forth
    SIGNED = "signed", _("Signed")  # the latest version was accepted: the quantity is reserved on the listing
    DELIVERED = "delivered", _("Delivered")  # the producer says the gold was handed over
    COMPLETED = "completed", _("Completed")  # the buyer confirmed the delivery
    DECLINED = "declined", _("Declined")  # the side asked to accept said no
    WITHDRAWN = "withdrawn", _("Withdrawn")  # the side that proposed took its proposal back
    CANCELLED = "cancelled", _("Cancelled")  # a signed contract was called off: the quantity is released
    EXPIRED = "expired", _("Expired")  # reserved for a job that ends stale negotiations; nothing sets it yet


# move -> (states it may start from, state it leads to). Proposing a new version keeps the state.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": (("negotiating",), "signed"),
    "decline": (("negotiating",), "declined"),
    "withdraw": (("negotiating",), "withdrawn"),
    "cancel": (("signed",), "cancelled"),
    "mark_delivered": (("signed",), "delivered"),
    "complete": (("delivered",), "completed"),
}
SIGNED_STATES = ("signed", "delivered", "completed", "cancelled")


class Contract(BetweenTwoParties, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inquiry = models.ForeignKey(Inquiry, on_delete=models.PROTECT, related_name="contracts")
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="contracts")
    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="contracts")
    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="contracts")
    state = models.CharField(max_length=12, choices=ContractState.choices, default=ContractState.NEGOTIATING)
    signed_version = models.ForeignKey(
        "ContractVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    terms_hash = models.CharField(max_length=64, blank=True)  # SHA-256 of the canonical terms, at signing
    signed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # declined, withdrawn or cancelled
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in ContractState]), name="contract_state_valid"
            ),
            # Signed (and everything after) always carries the hash and the version it signed; nothing else does.
            models.CheckConstraint(
                condition=(
                    Q(state__in=SIGNED_STATES)
                    & Q(signed_version__isnull=False, signed_at__isnull=False)
                    & ~Q(terms_hash="")
                )
                | (~Q(state__in=SIGNED_STATES) & Q(signed_version__isnull=True, signed_at__isnull=True, terms_hash="")),
                name="contract_signature_when_signed",
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "state", "created_at"], name="contract_buyer_idx"),
            models.Index(fields=["producer", "state", "created_at"], name="contract_producer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.buyer_id} ↔ {self.producer_id} ({self.state})"


class ContractVersion(models.Model):
    """One proposal of the terms, immutable once written. Numbered 1..n within its contract."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    side = models.CharField(max_length=8, choices=Side.choices)  # the side that proposed it
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_by_organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    quantity_grams = GramsField()
    fineness = FinenessField()
    price_basis = models.CharField(max_length=10, choices=PriceBasis.choices)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    price_per_fine_gram_minor = models.BigIntegerField(null=True, blank=True)  # fixed basis
    lbma_adjustment_bp = models.IntegerField(null=True, blank=True)  # LBMA bases: -200 = fix minus 2 %
    premium_per_kg_fine_minor = models.BigIntegerField(default=0)  # minor units of premium_currency per kg fine
    premium_currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices)
    incoterm_place = models.CharField(max_length=120)
    delivery_date = models.DateField()
    deposit_amount_minor = models.BigIntegerField(null=True, blank=True)  # in `currency`
    deposit_percent_bp = models.IntegerField(null=True, blank=True)  # of the contract value: 1000 = 10 %
    payment_terms = models.TextField(max_length=2000, blank=True)
    origin_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    # Spot listings: the recorded lots this version sells (part of the signed terms). Forward: none here;
    # the producer names the lots once they are recorded (ContractLot).
    lots = models.ManyToManyField("provenance.Lot", blank=True, related_name="+")
    # What stood behind the offer when this version was proposed (`trade.snapshots.offer_snapshot`): the
    # policy in force, per origin site the evidence meeting each requirement and claim, the items' files'
    # hashes and, for spot sales, the lots' assay certificates. Part of the hashed terms. Empty for versions
    # proposed before snapshots were taken (their terms hash as they always did).
    compliance_snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="contract_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="contract_version_number_positive"),
            models.CheckConstraint(condition=Q(side__in=["buyer", "producer"]), name="contract_version_side_valid"),
            models.CheckConstraint(condition=Q(quantity_grams__gt=0), name="contract_version_quantity_positive"),
            models.CheckConstraint(
                condition=Q(fineness__gt=0, fineness__lte=1000), name="contract_version_fineness_range"
            ),
            models.CheckConstraint(
                condition=(
                    Q(price_basis="fixed") & Q(price_per_fine_gram_minor__gt=0) & Q(lbma_adjustment_bp__isnull=True)
                )
                | (
                    Q(price_basis__in=["lbma_am", "lbma_pm"], currency="USD", price_per_fine_gram_minor__isnull=True)
                    & Q(lbma_adjustment_bp__gte=-5000, lbma_adjustment_bp__lte=5000)
                ),
                name="contract_version_price_matches_basis",
            ),
            models.CheckConstraint(
                condition=Q(premium_per_kg_fine_minor__gte=0), name="contract_version_premium_not_negative"
            ),
            # A deposit is an amount or a percentage, exactly one of them (zero: no deposit).
            models.CheckConstraint(
                condition=(
                    Q(deposit_amount_minor__isnull=False, deposit_amount_minor__gte=0, deposit_percent_bp__isnull=True)
                )
                | (
                    Q(deposit_amount_minor__isnull=True, deposit_percent_bp__isnull=False)
                    & Q(deposit_percent_bp__gte=0, deposit_percent_bp__lte=10000)
                ),
                name="contract_version_one_deposit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} v{self.number}"


class FixingRule(models.TextChoices):
    ON_DATE = "on_date", _("The fix of a named day")
    AFTER_RECEIPT = "after_receipt", _("The first fix after the day the buyer received the shipment")
    AVERAGE = "average", _("The mean of the fixes over a quotational period")


class AssayRule(models.TextChoices):
    """Which assay settles a shipment when the buyer's and the seller's differ by no more than the
    splitting limit. Beyond it the umpire's result settles."""

    BUYER = "buyer", _("The buyer's assay")
    SELLER = "seller", _("The seller's assay")
    MEAN = "mean", _("The mean of the two")


class UmpireCost(models.TextChoices):
    FARTHER = "farther", _("The party whose assay is farther from the umpire's")
    BUYER = "buyer", _("The buyer")
    SELLER = "seller", _("The seller")
    SHARED = "shared", _("Half each")


class SettlementTerms(models.Model):
    """How a version of the terms is settled (docs/settlement.md): the fixing, the payable shares, the
    provisional payment, the splitting limit and the umpire. One per version at most, immutable with it, and
    inside its terms hash. The version's `price_basis` says whether the price is fixed or an LBMA fix, its
    `lbma_adjustment_bp` the adjustment, its premium the premium; the charges and the shipments are rows of
    their own (`ContractCharge`, `ContractShipment`)."""

    version = models.OneToOneField(ContractVersion, on_delete=models.CASCADE, related_name="settlement")
    fixing_rule = models.CharField(max_length=14, choices=FixingRule.choices)
    fixing_date = models.DateField(null=True, blank=True)  # on_date
    quotational_period_start = models.DateField(null=True, blank=True)  # average
    quotational_period_days = models.PositiveSmallIntegerField(null=True, blank=True)  # average: 1..92
    gold_payable_bp = models.PositiveIntegerField()  # 9950 = 99.5 % of the fine gold is paid
    gold_minimum_fineness = FinenessField(default=0)  # below it the gold is not paid
    silver_payable_bp = models.PositiveIntegerField(default=0)  # 0: silver is not paid
    silver_minimum_fineness = FinenessField(default=0)
    # Fixed-price contracts that pay silver name its price; LBMA contracts read the LBMA Silver Price.
    silver_price_per_fine_gram_minor = models.BigIntegerField(null=True, blank=True)
    provisional_bp = models.PositiveIntegerField(default=0)  # of the value on the declared weight and assay
    splitting_limit = FinenessField()  # per mille: 0.5
    within_limit_rule = models.CharField(max_length=6, choices=AssayRule.choices, default=AssayRule.MEAN)
    umpire_laboratory = models.CharField(max_length=200)
    umpire_cost = models.CharField(max_length=8, choices=UmpireCost.choices, default=UmpireCost.FARTHER)
    # A certified offer: the standard's figures in force when the version was proposed (prices app).
    certification = models.ForeignKey(
        "prices.CertificationTerms", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "settlement terms"
        constraints = [
            models.CheckConstraint(
                condition=(Q(fixing_rule="on_date") & Q(fixing_date__isnull=False))
                | (
                    Q(fixing_rule="average")
                    & Q(quotational_period_start__isnull=False)
                    & Q(quotational_period_days__gte=1, quotational_period_days__lte=92)
                )
                | Q(fixing_rule="after_receipt"),
                name="settlement_fixing_complete",
            ),
            models.CheckConstraint(
                condition=Q(gold_payable_bp__gte=1, gold_payable_bp__lte=10000), name="settlement_gold_payable_range"
            ),
            models.CheckConstraint(
                condition=Q(silver_payable_bp__gte=0, silver_payable_bp__lte=10000),
                name="settlement_silver_payable_range",
            ),
            models.CheckConstraint(
                condition=Q(provisional_bp__gte=0, provisional_bp__lte=10000), name="settlement_provisional_range"
            ),
            models.CheckConstraint(
                condition=Q(gold_minimum_fineness__gte=0, gold_minimum_fineness__lte=1000)
                & Q(silver_minimum_fineness__gte=0, silver_minimum_fineness__lte=1000)
                & Q(splitting_limit__gte=0, splitting_limit__lte=1000),
                name="settlement_fineness_ranges",
            ),
            models.CheckConstraint(
                condition=Q(silver_price_per_fine_gram_minor__isnull=True) | Q(silver_price_per_fine_gram_minor__gt=0),
                name="settlement_silver_price_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"settlement of {self.version_id}"


class ChargeKind(models.TextChoices):
    PER_TROY_OUNCE_GROSS = "per_troy_ounce_gross", _("An amount per troy ounce of gross weight received")
    PER_LOT = "per_lot", _("An amount per lot")
    PERCENT_OF_VALUE = "percent_of_value", _("A percentage of the metal's value")


class ContractCharge(models.Model):
    """A refining, treatment, assay, freight or insurance charge the buyer deducts, per shipment."""

    version = models.ForeignKey(ContractVersion, on_delete=models.CASCADE, related_name="charges")
    position = models.PositiveSmallIntegerField()  # 1, 2, 3... in the order the terms list them
    label = models.CharField(max_length=120)  # "Refining charge"
    kind = models.CharField(max_length=20, choices=ChargeKind.choices)
    amount_minor = models.BigIntegerField(null=True, blank=True)  # per_troy_ounce_gross, per_lot
    currency = models.CharField(max_length=3, choices=Currency.choices, null=True, blank=True)
    percent_bp = models.PositiveIntegerField(null=True, blank=True)  # percent_of_value: 50 = 0.5 %

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="contract_charge_position_unique"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["per_troy_ounce_gross", "per_lot"])
                    & Q(amount_minor__gte=0, currency__isnull=False, percent_bp__isnull=True)
                )
                | (
                    Q(kind="percent_of_value")
                    & Q(percent_bp__gte=0, percent_bp__lte=10000)
                    & Q(amount_minor__isnull=True, currency__isnull=True)
                ),
                name="contract_charge_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} charge {self.position}"


class ContractShipment(models.Model):
    """One delivery of a version's gold: its quantity, its day and place and, when known, its lots. A
    version without shipment rows delivers once, as its own delivery date, place and lots say."""

    version = models.ForeignKey(ContractVersion, on_delete=models.CASCADE, related_name="shipments")
    number = models.PositiveSmallIntegerField()  # 1..n within the version
    quantity_grams = GramsField()
    delivery_date = models.DateField()
    incoterm = models.CharField(max_length=3, choices=Incoterm.choices)
    incoterm_place = models.CharField(max_length=120)
    lots = models.ManyToManyField("provenance.Lot", blank=True, related_name="+")

    class Meta:
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="contract_shipment_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="contract_shipment_number_positive"),
            models.CheckConstraint(condition=Q(quantity_grams__gt=0), name="contract_shipment_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.version_id} shipment {self.number}"


class ContractAcceptance(models.Model):
    """Who accepted the signed version for each side, and when. The proposer's proposal is its side's
    acceptance of that version; the other side's `accept` is the second. Written at signing, two rows."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="acceptances")
    version = models.ForeignKey(ContractVersion, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField()

    class Meta:
        ordering = ["accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "side"], name="contract_acceptance_one_per_side"),
            models.CheckConstraint(condition=Q(side__in=["buyer", "producer"]), name="contract_acceptance_side_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.side}"


class ContractLot(models.Model):
    """A lot a contract delivers: the signed version's lots (spot) written at signing, or a lot the producer
    names for a forward contract once it is recorded. A lot is delivered by at most one contract that is not
    cancelled (the partial unique index); a cancelled contract lets its lots go (`released`)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="lot_rows")
    lot = models.ForeignKey("provenance.Lot", on_delete=models.PROTECT, related_name="contract_rows")
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    named_at = models.DateTimeField()
    released = models.BooleanField(default=False)

    class Meta:
        ordering = ["named_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "lot"], name="contract_lot_once"),
            models.UniqueConstraint(fields=["lot"], condition=Q(released=False), name="lot_in_one_contract"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.lot_id}"


class DepositStatus(models.TextChoices):
    REQUIRES_PAYMENT = "requires_payment", _("Requires payment")  # created: waiting for the buyer's card
    PROCESSING = "processing", _("Processing")  # Stripe is processing the payment
    HELD = "held", _("Held")  # captured: the platform holds the money until release or refund
    RELEASED = "released", _("Released")  # paid out to the producer outside Stripe (staff recorded the payout)
    REFUNDED = "refunded", _("Refunded")  # all of it went back to the buyer through Stripe
    FAILED = "failed", _("Failed")  # the last payment attempt failed (a declined card); the buyer may pay again
    CANCELLED = "cancelled", _("Cancelled")  # the intent was cancelled (the contract was called off before payment)


# The state a deposit moves to -> the states it may come from. Moves follow Stripe's PaymentIntent forward
# only (events come late, twice and out of order). `failed -> requires_payment` is the buyer asking to pay
# again on the same intent; `failed -> held` is a later attempt on that intent that succeeded.
DEPOSIT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "requires_payment": ("failed",),
    "processing": ("requires_payment",),
    "held": ("requires_payment", "processing", "failed"),
    "failed": ("requires_payment", "processing"),
    "cancelled": ("requires_payment", "processing", "failed"),
    "released": ("held",),
    "refunded": ("held",),
}
# At most one of these per contract (a partial unique constraint).
DEPOSIT_ACTIVE_STATES = ("requires_payment", "processing", "held")


class Deposit(models.Model):
    """The buyer's deposit on a signed contract, paid by card through a Stripe PaymentIntent.

    The row and its idempotency key are committed before Stripe is called. `intent_claimed_at` marks the
    request that is creating the intent right now (a lease), so one request calls Stripe and the others wait
    for the id it stores. `refunded_minor` counts refunds reserved (pending) and done: a refund is reserved
    here before Stripe is asked, so two refunds can never return more than was paid.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="deposits")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    status = models.CharField(max_length=16, choices=DepositStatus.choices, default=DepositStatus.REQUIRES_PAYMENT)
    refunded_minor = models.BigIntegerField(default=0)
    idempotency_key = models.CharField(max_length=255, unique=True)  # deposit:{id}:create
    provider_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)  # pi_...
    intent_claimed_at = models.DateTimeField(null=True, blank=True)  # a request is creating the intent since
    held_at = models.DateTimeField(null=True, blank=True)
    payout_reference = models.CharField(max_length=200, blank=True)  # the bank transfer to the producer
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in DepositStatus]), name="deposit_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="deposit_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0, refunded_minor__lte=models.F("amount_minor")),
                name="deposit_refunded_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(status="refunded") | Q(refunded_minor=models.F("amount_minor")),
                name="deposit_refunded_in_full",
            ),
            models.CheckConstraint(
                condition=~Q(status="released") | (~Q(payout_reference="") & Q(released_at__isnull=False)),
                name="deposit_released_with_reference",
            ),
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(status__in=DEPOSIT_ACTIVE_STATES),
                name="deposit_one_active_per_contract",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="deposit_status_idx")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.amount_minor} {self.currency} ({self.status})"

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


class DepositRefund(models.Model):
    """One refund of (part of) a held deposit: reserved here, committed, then asked of Stripe with its key."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")  # reserved on the deposit; Stripe not asked yet, or asked without answer
        SUCCEEDED = "succeeded", _("Succeeded")  # Stripe refunded it
        FAILED = "failed", _("Failed")  # Stripe refused it: the reservation was given back to the deposit

    class Cause(models.TextChoices):
        STAFF = "staff", _("Refunded by staff")
        CONTRACT_CANCELLED = "contract_cancelled", _("The contract was cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    deposit = models.ForeignKey(Deposit, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    cause = models.CharField(max_length=20, choices=Cause.choices)
    idempotency_key = models.CharField(max_length=255, unique=True)  # deposit:{deposit id}:refund:{id}
    provider_refund_id = models.CharField(max_length=255, null=True, blank=True, unique=True)  # re_...
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed"]), name="deposit_refund_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(cause__in=["staff", "contract_cancelled"]), name="deposit_refund_cause_valid"
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="deposit_refund_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="deposit_refund_status_idx")]

    def __str__(self) -> str:
        return f"{self.deposit_id} −{self.amount_minor} ({self.status})"
