"""Writes of the records a shipment is settled from (docs/settlement-records.md): the gross weight each side
found (the seller's declared at dispatch, the buyer's received) and the fire assays (the seller's, the buyer's
and, when they differ by more than the signed splitting limit, the umpire laboratory's).

Each party's figure is recorded once: the same figures again answer the stored record and record nothing (a
retried request); other figures are 409 `already_recorded`, and a correction is its own request (PUT), allowed
until a statement of the shipment rests on the record (409 `statement_issued`). Every write locks the
contract's row and decides under the lock, so two recordings of one party's figure are judged one after the
other; the unique constraint per contract, shipment and party backs it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.actor import Actor
from core.errors import Conflict, NotFound, field_error
from core.money import Money
from settlement.common import (
    PARTY_OF_SIDE,
    admin_side,
    check_day,
    lock_contract,
    organization_of_side,
    other_side,
    require_own_party,
    require_settling,
    tell,
)
from settlement.models import AssayResult, Party, Weighing
from settlement.selectors import (
    assay_difference,
    contract_currency,
    require_shipment,
    settlement_terms,
    statement_using,
)
from trade.models import Contract


def _grams(value: Decimal) -> str:
    return f"{value:.3f}"


def _per_mille(value: Decimal) -> str:
    return f"{value:.1f}"


def _already_recorded(record: Weighing | AssayResult, what: str, figures: dict[str, Any]) -> Conflict:
    return Conflict(
        _(
            "The %(party)s's %(what)s of this shipment is recorded already, with other figures. Correct it with "
            "PUT on its party's address if it was wrong."
        )
        % {"party": Party(record.party).label.lower(), "what": what},
        code="already_recorded",
        extra={"record": str(record.pk), "recorded": figures},
    )


def _statement_issued(contract: Contract, shipment: int, record: str, party: str) -> None:
    statement = statement_using(contract, shipment, record, party)
    if statement is not None:
        raise Conflict(
            _("The %(kind)s statement of this shipment was issued on this record: it can no longer be corrected.")
            % {"kind": statement.kind},
            code="statement_issued",
            extra={"statement": str(statement.pk), "statement_kind": statement.kind},
        )


def _subject_and_side(contract: Contract, side: str) -> tuple[Any, str]:
    """The other party (whose trail the event is also in) and its side."""
    other = other_side(side)
    return organization_of_side(contract, other), other


# --- Weighings ---------------------------------------------------------------------------------------------------
def _weighing_figures(weighing: Weighing) -> dict[str, str]:
    return {"gross_grams": _grams(weighing.gross_grams), "weighed_on": weighing.weighed_on.isoformat()}


def _same_weighing(weighing: Weighing, gross_grams: Decimal, weighed_on: dt.date) -> bool:
    return weighing.gross_grams == gross_grams and weighing.weighed_on == weighed_on


def _check_weighing(contract: Contract, gross_grams: Decimal, weighed_on: dt.date) -> None:
    if gross_grams <= 0:
        raise field_error("gross_grams", "not_positive", _("A weight is more than 0 g."))
    check_day("weighed_on", weighed_on, contract)


@transaction.atomic
def weighing_record(
    *, actor: Actor, contract: Contract, shipment: int, gross_grams: Decimal, weighed_on: dt.date
) -> tuple[Weighing, bool]:
    """The caller's side records its gross weight of a shipment: the producer's admin the seller's declared
    weight at dispatch, the buyer's admin the received weight. (record, created)."""
    side = admin_side(actor, contract)
    party = PARTY_OF_SIDE[side]
    contract = lock_contract(contract)
    require_settling(contract)
    require_shipment(contract, shipment)
    _check_weighing(contract, gross_grams, weighed_on)
    existing = Weighing.objects.filter(contract=contract, shipment=shipment, party=party).first()
    if existing is None:
        try:
            with transaction.atomic():
                weighing = Weighing.objects.create(
                    contract=contract,
                    shipment=shipment,
                    party=party,
                    gross_grams=gross_grams,
                    weighed_on=weighed_on,
                    recorded_by=actor.user,
                )
        except IntegrityError:  # recorded meanwhile (the lock makes this a backstop): judge what is stored
            existing = Weighing.objects.get(contract=contract, shipment=shipment, party=party)
        else:
            subject, other = _subject_and_side(contract, side)
            audit_record(
                action="settlement.weighing.recorded",
                actor=actor,
                subject_organization=subject,
                target=weighing,
                data={"contract": str(contract.pk), "shipment": shipment, "party": party} | _weighing_figures(weighing),
            )
            tell(
                contract=contract,
                side=other,
                kind="settlement_weighing_recorded",
                target=weighing,
                params={
                    "organization": organization_of_side(contract, side).legal_name,
                    "shipment": shipment,
                    "grams": _grams(weighing.gross_grams),
                },
            )
            return weighing, True
    if _same_weighing(existing, gross_grams, weighed_on):
        return existing, False
    raise _already_recorded(existing, _("weight"), _weighing_figures(existing))


@transaction.atomic
def weighing_correct(
    *, actor: Actor, contract: Contract, shipment: int, party: str, gross_grams: Decimal, weighed_on: dt.date
) -> Weighing:
    """The party's own admin corrects its recorded weight, while no statement of the shipment rests on it."""
    side = admin_side(actor, contract)
    require_own_party(side, party)
    contract = lock_contract(contract)
    require_settling(contract)
    require_shipment(contract, shipment)
    _check_weighing(contract, gross_grams, weighed_on)
    weighing = Weighing.objects.filter(contract=contract, shipment=shipment, party=party).first()
    if weighing is None:
        raise NotFound(_("This party's weight is not recorded yet: record it first."), code="not_recorded")
    if _same_weighing(weighing, gross_grams, weighed_on):
        return weighing
    _statement_issued(contract, shipment, "weighing", party)
    before = _weighing_figures(weighing)
    Weighing.objects.filter(pk=weighing.pk).update(gross_grams=gross_grams, weighed_on=weighed_on)
    weighing.refresh_from_db()
    subject, other = _subject_and_side(contract, side)
    audit_record(
        action="settlement.weighing.corrected",
        actor=actor,
        subject_organization=subject,
        target=weighing,
        data={"contract": str(contract.pk), "shipment": shipment, "party": party, "from": before}
        | _weighing_figures(weighing),
    )
    tell(
        contract=contract,
        side=other,
        kind="settlement_record_corrected",
        target=weighing,
        params={
            "organization": organization_of_side(contract, side).legal_name,
            "shipment": shipment,
            "record": "weighing",
        },
    )
    return weighing


# --- Assays -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AssayFigures:
    au_per_mille: Decimal
    ag_per_mille: Decimal
    laboratory: str
    certificate_number: str
    assayed_on: dt.date
    cost: Money | None = None

    def same_as(self, assay: AssayResult) -> bool:
        return (
            assay.au_per_mille == self.au_per_mille
            and assay.ag_per_mille == self.ag_per_mille
            and assay.laboratory == self.laboratory
            and assay.certificate_number == self.certificate_number
            and assay.assayed_on == self.assayed_on
            and assay.cost_minor == (self.cost.amount_minor if self.cost is not None else None)
        )

    def columns(self) -> dict[str, Any]:
        return {
            "au_per_mille": self.au_per_mille,
            "ag_per_mille": self.ag_per_mille,
            "laboratory": self.laboratory,
            "certificate_number": self.certificate_number,
            "assayed_on": self.assayed_on,
            "cost_minor": self.cost.amount_minor if self.cost is not None else None,
        }


def _assay_figures(assay: AssayResult) -> dict[str, Any]:
    return {
        "au_per_mille": _per_mille(assay.au_per_mille),
        "ag_per_mille": _per_mille(assay.ag_per_mille),
        "laboratory": assay.laboratory,
        "certificate_number": assay.certificate_number,
        "assayed_on": assay.assayed_on.isoformat(),
        "cost_minor": assay.cost_minor,
    }


def _same_laboratory(one: str, other: str) -> bool:
    return " ".join(one.split()).casefold() == " ".join(other.split()).casefold()


def _check_assay(contract: Contract, party: str, figures: AssayFigures) -> None:
    for name in ("au_per_mille", "ag_per_mille"):
        value = getattr(figures, name)
        if not Decimal(0) <= value <= Decimal(1000):
            raise field_error(name, "out_of_range", _("Fineness is parts per thousand, from 0 to 1000."))
    check_day("assayed_on", figures.assayed_on, contract)
    if figures.cost is not None:
        if party != Party.UMPIRE:
            raise field_error("cost", "umpire_only", _("Only the umpire laboratory's assay carries a fee here."))
        currency = contract_currency(contract)
        if figures.cost.currency != currency:
            raise field_error(
                "cost", "currency_mismatch", _("The contract is settled in %(currency)s.") % {"currency": currency}
            )
    if party == Party.UMPIRE:
        terms = settlement_terms(contract)
        if terms is None:
            raise Conflict(
                _("The signed terms set no splitting limit and name no umpire laboratory."),
                code="umpire_not_needed",
            )
        if not _same_laboratory(figures.laboratory, terms.umpire_laboratory):
            raise field_error(
                "laboratory",
                "not_the_umpire_laboratory",
                _("The signed terms name %(laboratory)s as the umpire laboratory.")
                % {"laboratory": terms.umpire_laboratory},
            )


def _require_umpire_needed(contract: Contract, shipment: int) -> None:
    terms = settlement_terms(contract)
    assert terms is not None  # checked with the figures
    assays = {
        assay.party: assay
        for assay in AssayResult.objects.filter(
            contract=contract, shipment=shipment, party__in=[Party.SELLER, Party.BUYER]
        )
    }
    difference = assay_difference(assays)
    if difference is None:
        raise Conflict(
            _("The umpire assays a shipment once both sides' assays are recorded."),
            code="umpire_not_needed",
            extra={"splitting_limit": _per_mille(terms.splitting_limit)},
        )
    if difference <= terms.splitting_limit:
        raise Conflict(
            _(
                "The two assays differ by %(difference)s per mille, within the splitting limit of %(limit)s: "
                "no umpire is needed."
            )
            % {"difference": _per_mille(difference), "limit": _per_mille(terms.splitting_limit)},
            code="umpire_not_needed",
            extra={"difference": _per_mille(difference), "splitting_limit": _per_mille(terms.splitting_limit)},
        )


def _announce_assay(*, actor: Actor, contract: Contract, side: str, assay: AssayResult, corrected: bool) -> None:
    subject, other = _subject_and_side(contract, side)
    audit_record(
        action="settlement.assay.corrected" if corrected else "settlement.assay.recorded",
        actor=actor,
        subject_organization=subject,
        target=assay,
        data={"contract": str(contract.pk), "shipment": assay.shipment, "party": assay.party} | _assay_figures(assay),
    )
    organization = organization_of_side(contract, side).legal_name
    if corrected:
        params = {"organization": organization, "shipment": assay.shipment, "record": "assay"}
        kind = "settlement_record_corrected"
    else:
        params = {
            "organization": organization,
            "shipment": assay.shipment,
            "party": assay.party,
            "au_per_mille": _per_mille(assay.au_per_mille),
        }
        kind = "settlement_assay_recorded"
    tell(contract=contract, side=other, kind=kind, target=assay, params=params)


@transaction.atomic
def assay_record(
    *, actor: Actor, contract: Contract, shipment: int, party: str, figures: AssayFigures
) -> tuple[AssayResult, bool]:
    """The seller's assay by the producer's admin, the buyer's by the buyer's admin, the umpire's by either
    side's admin once the two differ by more than the splitting limit, from the laboratory the terms name.
    (record, created)."""
    side = admin_side(actor, contract)
    require_own_party(side, party)
    contract = lock_contract(contract)
    require_settling(contract)
    require_shipment(contract, shipment)
    _check_assay(contract, party, figures)
    existing = AssayResult.objects.filter(contract=contract, shipment=shipment, party=party).first()
    if existing is None:
        if party == Party.UMPIRE:
            _require_umpire_needed(contract, shipment)
        try:
            with transaction.atomic():
                assay = AssayResult.objects.create(
                    contract=contract, shipment=shipment, party=party, recorded_by=actor.user, **figures.columns()
                )
        except IntegrityError:  # recorded meanwhile (the lock makes this a backstop): judge what is stored
            existing = AssayResult.objects.get(contract=contract, shipment=shipment, party=party)
        else:
            _announce_assay(actor=actor, contract=contract, side=side, assay=assay, corrected=False)
            return assay, True
    if figures.same_as(existing):
        return existing, False
    raise _already_recorded(existing, _("assay"), _assay_figures(existing))


@transaction.atomic
def assay_correct(*, actor: Actor, contract: Contract, shipment: int, party: str, figures: AssayFigures) -> AssayResult:
    """A recorded assay corrected by whoever may record it, while no statement of the shipment rests on it."""
    side = admin_side(actor, contract)
    require_own_party(side, party)
    contract = lock_contract(contract)
    require_settling(contract)
    require_shipment(contract, shipment)
    _check_assay(contract, party, figures)
    assay = AssayResult.objects.filter(contract=contract, shipment=shipment, party=party).first()
    if assay is None:
        raise NotFound(_("This party's assay is not recorded yet: record it first."), code="not_recorded")
    if figures.same_as(assay):
        return assay
    _statement_issued(contract, shipment, "assay", party)
    AssayResult.objects.filter(pk=assay.pk).update(**figures.columns())
    assay.refresh_from_db()
    _announce_assay(actor=actor, contract=contract, side=side, assay=assay, corrected=True)
    return assay
