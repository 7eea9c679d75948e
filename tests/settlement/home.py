"""The settlement objects the contract tests' paths point at (tests/contract/test_permission_matrix.py HOME).

The matrix's home contract is under negotiation; settlement needs a signed one. `settling_contract` finds the
world's signed contract from its inquiry (the response-keys world signs the home contract itself) or makes one,
signed today, with settlement terms. `home_payment` is a transfer the buyer recorded on it, `fill_records` gives
every settlement list something to show.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from django.utils import timezone

from core import clock
from prices.models import MetalPrice
from settlement import statements
from settlement.models import AssayResult, Payment, Statement, Weighing
from tests.settlement.helpers import UMPIRE_LAB
from trade.models import Contract, ContractVersion, SettlementTerms

_VERSION_FIELDS_NOT_COPIED = ("id", "contract", "created_at", "lots")


def settling_contract(world: Any) -> Contract:
    found = (
        Contract.objects.filter(inquiry=world.inquiry, signed_version__isnull=False)
        .select_related("signed_version")
        .order_by("created_at")
        .first()
    )
    if found is not None:
        return found
    contract = Contract.objects.create(
        inquiry=world.inquiry,
        buyer=world.buyer_org,
        producer=world.producer,
        listing=world.listing,
        created_by=world.coop_admin,
    )
    first = world.contract.versions.get(number=1)
    version = ContractVersion.objects.create(
        contract=contract,
        **{
            field.name: getattr(first, field.name)
            for field in ContractVersion._meta.concrete_fields
            if field.name not in _VERSION_FIELDS_NOT_COPIED
        },
    )
    Contract.objects.filter(pk=contract.pk).update(
        state="signed", signed_version=version, signed_at=timezone.now(), terms_hash="2" * 64
    )
    SettlementTerms.objects.create(
        version=version,
        fixing_rule="after_receipt",
        gold_payable_bp=9950,
        splitting_limit=Decimal("0.5"),
        umpire_laboratory=UMPIRE_LAB,
    )
    return Contract.objects.select_related("signed_version").get(pk=contract.pk)


def home_payment(world: Any) -> Payment:
    contract = settling_contract(world)
    found = Payment.objects.filter(contract=contract, payer="buyer").order_by("recorded_at").first()
    if found is not None:
        return found
    return Payment.objects.create(
        contract=contract,
        shipment=1,
        kind="provisional",
        payer="buyer",
        amount_minor=1000000,
        currency=contract.signed_version.currency,  # type: ignore[union-attr]
        paid_on=clock.today_lima(),
        bank_reference="UBS-CH-HOME-0001",
        recorded_by=world.actors["buyer_admin"].user,
    )


def fill_records(world: Any) -> None:
    """The world's lot in the shipment, both weights, the three assays, a provisional statement and a confirmed
    payment each way."""
    contract = settling_contract(world)
    contract.signed_version.lots.add(world.lot)  # type: ignore[union-attr]
    buyer_admin, coop_admin = world.actors["buyer_admin"].user, world.coop_admin
    today = clock.today_lima()
    for party, grams, who in (("seller", "301.250", coop_admin), ("buyer", "300.980", buyer_admin)):
        Weighing.objects.create(
            contract=contract, shipment=1, party=party, gross_grams=Decimal(grams), weighed_on=today, recorded_by=who
        )
    for party, au, who, cost in (
        ("seller", "921.4", coop_admin, None),
        ("buyer", "917.9", buyer_admin, None),
        ("umpire", "918.6", buyer_admin, 35000),
    ):
        AssayResult.objects.create(
            contract=contract,
            shipment=1,
            party=party,
            au_per_mille=Decimal(au),
            ag_per_mille=Decimal("61.2"),
            laboratory=UMPIRE_LAB if party == "umpire" else f"Laboratorio del {party}",
            certificate_number=f"{party}-1",
            assayed_on=today,
            cost_minor=cost,
            recorded_by=who,
        )
    # The statement as the buyer would issue it, on an LBMA fix of the day (the response-keys world signs the home
    # contract itself, without settlement terms: give it the same terms as a contract made here).
    SettlementTerms.objects.get_or_create(
        version=contract.signed_version,
        defaults={
            "fixing_rule": "after_receipt",
            "gold_payable_bp": 9950,
            "splitting_limit": Decimal("0.5"),
            "umpire_laboratory": UMPIRE_LAB,
        },
    )
    MetalPrice.objects.get_or_create(
        benchmark="lbma_gold_pm",
        date=today,
        current=True,
        defaults={"usd_per_troy_ounce_milli": 2650350, "source": "LBMA"},
    )
    computed = statements.compute(contract, 1, "provisional")
    document = statements.document_of(contract, 1, computed)
    Statement.objects.create(
        contract=contract,
        shipment=1,
        kind="provisional",
        currency=computed.currency,
        amount_due_minor=computed.amount_due_minor,
        net_value_minor=computed.net_value_minor,
        document=document,
        digest=hashlib.sha256(statements.canonical(document)).hexdigest(),
        issued_by=buyer_admin,
    )
    for payer, reference, who, confirmer in (
        ("buyer", "UBS-CH-FULL-0001", buyer_admin, coop_admin),
        ("producer", "BCP-FULL-0001", coop_admin, buyer_admin),
    ):
        Payment.objects.create(
            contract=contract,
            shipment=1 if payer == "buyer" else None,
            kind="provisional" if payer == "buyer" else "other",
            payer=payer,
            amount_minor=2434320 if payer == "buyer" else 35000,
            currency=contract.signed_version.currency,  # type: ignore[union-attr]
            paid_on=today,
            bank_reference=reference,
            note="",
            recorded_by=who,
            confirmed_by=confirmer,
            confirmed_at=timezone.now(),
        )
