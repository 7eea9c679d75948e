"""The compliance snapshot behind a contract's terms, and what happens when the evidence it names is withdrawn.

Each version of the terms stores, when it is proposed, what the offer's compliance rested on that day
(`offer_snapshot`): the compliance app's `compliance_snapshot` for the listing's origin sites and claims (a
forward listing's sites; a spot sale's lots' sites) and, for a spot sale, the lots' assay certificates with
their SHA-256. The snapshot is part of the canonical terms (`trade.terms`), so the hash both sides sign
changes when the evidence behind the offer changes between two proposals.

A contract's accepted snapshot is its signed version's once signed (signed, delivered, completed), its
latest version's while negotiating (the side that proposed it accepted it by proposing); a declined,
withdrawn or cancelled contract has none. When a reviewer revokes an item that an accepted snapshot names,
or a newer approved item supersedes it, compliance calls `evidence_withdrawn` (the EVIDENCE_WITHDRAWN
setting) in the same transaction and both parties are notified. The contract detail derives its
`compliance_alerts` at read time from the snapshot and the items' current status
(`compliance_alerts`): nothing is stored twice, so nothing can fall out of step.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from compliance.models import Evidence
from compliance.selectors import compliance_snapshot, snapshot_evidence_events
from listings.models import Kind, Listing, ListingClaim
from notifications.services import notify
from provenance.models import Lot
from trade.models import Contract, ContractState, ContractVersion

# The states whose contract has an accepted snapshot: by both sides (signed and after) or by one (the
# latest proposal, while negotiating).
SIGNED_BY_BOTH = (ContractState.SIGNED, ContractState.DELIVERED, ContractState.COMPLETED)
ACCEPTED_STATES = (ContractState.NEGOTIATING, *SIGNED_BY_BOTH)


def offer_snapshot(*, listing: Listing, lots: Sequence[Lot], today: dt.date) -> dict[str, Any]:
    """The snapshot of one version of the terms, taken when it is proposed (plain JSON data). `lots` are
    the version's lots, with their sources and assays prefetched (`deliveries.terms_lots`)."""
    if listing.kind == Kind.SPOT:
        site_ids = {source.site_id for lot in lots for source in lot.sources.all()}
    else:
        site_ids = set(listing.sites.values_list("pk", flat=True))
    claim_codes = ListingClaim.objects.filter(listing=listing).values_list("claim_id", flat=True)
    snapshot = compliance_snapshot(listing.producer, site_ids, list(claim_codes), today)
    snapshot["lots"] = [
        {
            "id": str(lot.pk),
            "code": lot.code,
            "assays": [
                {"position": assay.position, "method": assay.method, "sha256": assay.sha256}
                for assay in sorted(lot.assays.all(), key=lambda a: a.position)
            ],
        }
        for lot in sorted(lots, key=lambda lot: (lot.code, str(lot.pk)))
    ]
    return snapshot


def accepted_version(contract: Contract, versions: Iterable[ContractVersion]) -> ContractVersion | None:
    """The version whose snapshot a side accepted: the signed one, or the latest while negotiating."""
    if contract.state in SIGNED_BY_BOTH:
        return next((v for v in versions if v.pk == contract.signed_version_id), None)
    if contract.state == ContractState.NEGOTIATING:
        return max(versions, key=lambda v: v.number, default=None)
    return None


def snapshot_evidence_ids(snapshot: dict[str, Any]) -> list[str]:
    return [item["id"] for item in snapshot.get("evidence", [])]


def compliance_alerts(contract: Contract) -> list[dict[str, Any]]:
    """The items of the contract's accepted snapshot that were revoked or superseded since, read now:
    `[{evidence_id, type, event, at}]`. Uses the contract's prefetched versions; one query at most."""
    version = accepted_version(contract, contract.versions.all())
    ids = snapshot_evidence_ids(version.compliance_snapshot) if version is not None else []
    return snapshot_evidence_events(ids) if ids else []


def _people_of(organization_id: Any) -> QuerySet[User]:
    return User.objects.filter(memberships__organization_id=organization_id, is_active=True)


def evidence_withdrawn(*, evidence_ids: Sequence[Any], event: str) -> int:
    """Named by EVIDENCE_WITHDRAWN: compliance revoked these items (`event` "revoked") or superseded them
    ("superseded"). Both parties of every contract whose accepted snapshot names one are notified, a
    notification per item (e-mailed after commit). Answers how many contracts were told. The items and
    the contracts of their producers are read in one query each."""
    items = {
        str(pk): (organization_id, name_es, name_en)
        for pk, organization_id, name_es, name_en in Evidence.objects.filter(pk__in=list(evidence_ids)).values_list(
            "pk", "organization_id", "evidence_type__name_es", "evidence_type__name_en"
        )
    }
    if not items:
        return 0
    versions: dict[Any, list[ContractVersion]] = defaultdict(list)
    contracts: dict[Any, Contract] = {}
    for version in (
        ContractVersion.objects.filter(
            contract__producer_id__in={organization_id for organization_id, _es, _en in items.values()},
            contract__state__in=ACCEPTED_STATES,
        )
        .select_related("contract__buyer", "contract__producer__organization")
        .order_by("contract_id", "number")
    ):
        versions[version.contract_id].append(version)
        contracts[version.contract_id] = version.contract
    told = 0
    for contract_id, contract in contracts.items():
        accepted = accepted_version(contract, versions[contract_id])
        named = sorted(set(snapshot_evidence_ids(accepted.compliance_snapshot)) & set(items)) if accepted else []
        for pk in named:
            _organization_id, name_es, name_en = items[pk]
            for organization in (contract.buyer, contract.producer.organization):
                notify(
                    recipients=_people_of(organization.pk),
                    kind="contract_evidence_withdrawn",
                    params={
                        "buyer": contract.buyer.legal_name,
                        "producer": contract.producer.organization.legal_name,
                        "type_es": name_es,
                        "type_en": name_en,
                        "event": event,
                        "evidence": pk,
                    },
                    organization=organization,
                    target=contract,
                )
        told += bool(named)
    return told
