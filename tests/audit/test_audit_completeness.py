"""Every state-changing operation of the API writes its audit event, exactly once; a refused one writes none.

WRITES has a row for every write operation (POST, PUT, PATCH, DELETE) of the committed schema
(openapi/schema.yaml): who may do it, what must be true first (`arrange`, which may use the API or the
ORM: its events are not counted), a valid body, and the audit events the call itself must append, in
order, with the first one about the object the call changed. A new operation fails
`test_every_write_operation_of_the_schema_has_a_row` until it has a row.

Most rows append one event. A row that appends more says why in `why`: an operation whose outcome is
known only after a network call records its intent and then its outcome (docs/architecture.md, conventions:
the intent is committed first, then the call, then its outcome is recorded), so that a crash between the
two leaves a trail that says so.

A refused call (400, 401, 403, 404, 409) appends nothing: `test_a_refused_write_appends_no_event` sends the
permission matrix's refused calls (tests/contract/test_permission_matrix.py) and counts. The one refusal
that is recorded on purpose is a sign-in with a wrong password (`accounts.login.failed`: the trail of a
brute-force attempt), tested on its own.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Organization, Role, TokenDevice
from audit.models import AuditEvent
from core import clock
from jobs.models import Job, JobState
from listings.models import Listing, SourcingRequest
from listings.models import Status as ListingStatus
from marketplace.demo_files import make_test_image, make_test_pdf
from notifications.services import notify
from prices.models import ExchangeRate, MetalPrice
from producers.models import MemberMiner, Producer, Site, Verification
from tests.conftest import ActorClient
from tests.factories import (
    PASSWORD,
    DelegationFactory,
    InvitationFactory,
    MembershipFactory,
    SupportOrganizationFactory,
    UserFactory,
)
from tests.localstripe_server import localstripe, stripe_on_localstripe  # noqa: F401  (fixtures)
from tests.provenance.helpers import declare_row, deliver_lot, last_month, lot_body
from tests.trade.deposit_helpers import FIXED_PRICE, deliver_event
from tests.trade.helpers import (
    CONTRACTS,
    make_approved_site,
    make_compliant_producer,
    make_listing,
    ok,
    terms,
    verify_kyc,
)
from trade.models import Contract, Deposit, SettlementTerms
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookSecret

pytestmark = pytest.mark.django_db

SCHEMA = Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml"
WRITE_METHODS = ("post", "put", "patch", "delete")


@functools.cache
def schema_write_operations() -> frozenset[tuple[str, str]]:
    paths = yaml.safe_load(SCHEMA.read_text())["paths"]
    return frozenset(
        (method.upper(), path) for path, operations in paths.items() for method in operations if method in WRITE_METHODS
    )


@dataclass
class World:
    """coop (the `producer_admin`'s cooperative) verified and compliant with an approved site and a published
    500 g listing; the `buyer`'s refiner KYC-verified; `other_producer`'s organisation without a producer
    profile yet. `made` holds what a row's `arrange` made."""

    actors: dict[str, ActorClient]
    coop: Organization
    producer: Producer
    site: Site
    listing: Listing
    request: pytest.FixtureRequest
    made: dict[str, Any] = field(default_factory=dict)

    def user(self, role: str) -> Any:
        return self.actors[role].user


@pytest.fixture
def world(
    request, anon, buyer, buyer_member, producer_admin, producer_member, reviewer, staff, other_producer, coop
) -> World:
    producer, site = make_compliant_producer(coop)
    listing = make_listing(producer, site)
    verify_kyc(buyer.organization)
    actors = {
        "anonymous": anon,
        "buyer_admin": buyer,
        "buyer_member": buyer_member,
        "producer_admin": producer_admin,
        "producer_member": producer_member,
        "reviewer": reviewer,
        "staff": staff,
        "other_producer": other_producer,
    }
    return World(actors=actors, coop=coop, producer=producer, site=site, listing=listing, request=request)


# --- What the rows arrange ---------------------------------------------------------------------------------


def pdf_upload(name: str = "documento.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_test_pdf(name), content_type="application/pdf")


def submitted_evidence(w: World, evidence_type: str = "TAX_RUC", role: str = "producer_admin") -> str:
    body = {
        "evidence_type": evidence_type,
        "issue_date": (clock.today_lima() - dt.timedelta(days=2)).isoformat(),
        "files": [pdf_upload()],
    }
    return ok(w.actors[role].post("/api/v1/evidence/", body, format="multipart"), 201)["id"]


def claimed_evidence(w: World) -> str:
    evidence_id = submitted_evidence(w)
    ok(w.actors["reviewer"].post(f"/api/v1/evidence/{evidence_id}/claim/"))
    return evidence_id


def approved_evidence(w: World) -> str:
    evidence_id = claimed_evidence(w)
    ok(w.actors["reviewer"].post(f"/api/v1/evidence/{evidence_id}/approve/", {}, format="json"))
    return evidence_id


def recorded_lot(w: World) -> str:
    """A 480 g lot of coop's, recorded through the API against a confirmed declaration of last month."""
    declare_row(w.site, last_month(), "1000.000")
    return str(
        ok(w.actors["producer_admin"].post("/api/v1/lots/", lot_body(w.site, "480.000"), format="json"), 201)["id"]
    )


def red_flag_body(w: World, severity: str = "low") -> dict[str, Any]:
    return {
        "subject_kind": "site",
        "site": str(w.site.pk),
        "category": "protected_area",
        "severity": severity,
        "facts": "The site's polygon overlaps the Tambopata National Reserve by 3.2 ha.",
    }


def red_flag(w: World) -> str:
    """A low-severity flag of a reviewer's on coop's site."""
    return str(ok(w.actors["reviewer"].post("/api/v1/red-flags/", red_flag_body(w), format="json"), 201)["id"])


def pack_request(w: World, grant: bool = False) -> str:
    """The buyer's request for coop's pack, on an inquiry; granted by coop's admin when `grant`."""
    inquiry(w)
    consent = ok(w.actors["buyer_admin"].post(f"/api/v1/producers/{w.producer.pk}/pack-requests/"), 201)["id"]
    if grant:
        ok(w.actors["producer_admin"].post(f"/api/v1/pack-requests/{consent}/grant/"))
    return str(consent)


def kyc_uploaded(w: World, approved: bool = False) -> None:
    for code in ("KYC_COMPANY_REG", "KYC_UBO", "KYC_SANCTIONS", "KYC_DD_POLICY"):
        evidence_id = submitted_evidence(w, code, role="buyer_admin")
        if approved:
            ok(w.actors["reviewer"].post(f"/api/v1/evidence/{evidence_id}/claim/"))
            ok(w.actors["reviewer"].post(f"/api/v1/evidence/{evidence_id}/approve/", {}, format="json"))


def unverified_kyc(w: World) -> None:
    Organization.objects.filter(pk=w.user("buyer_admin").memberships.get().organization_id).update(
        kyc_status=Organization.KycStatus.UNVERIFIED
    )


def inquiry(w: World) -> str:
    body = {"listing": str(w.listing.pk), "grams": "300.000", "message": "¿Entregan en mayo?"}
    w.made["inquiry"] = ok(w.actors["buyer_admin"].post("/api/v1/inquiries/", body, format="json"), 201)["id"]
    return w.made["inquiry"]


def proposed_contract(w: World, **overrides: Any) -> str:
    body = {"inquiry": inquiry(w), **terms(w.site, **overrides)}
    return ok(w.actors["producer_admin"].post(CONTRACTS, body, format="json"), 201)["id"]


def signed_contract(w: World, **overrides: Any) -> str:
    contract_id = proposed_contract(w, **overrides)
    ok(w.actors["buyer_admin"].post(f"{CONTRACTS}{contract_id}/accept/", {"version": 1}, format="json"))
    return contract_id


def signed_with_lots(w: World, **overrides: Any) -> str:
    """Signed, and its lot recorded and named for it: ready to be marked delivered."""
    contract_id = signed_contract(w, **overrides)
    deliver_lot(w.actors["producer_admin"], {"id": contract_id}, w.site)
    return contract_id


def signed_and_a_lot(w: World) -> dict[str, Any]:
    """A signed forward contract and a lot recorded from its origin site, not yet named for it."""
    contract_id = signed_contract(w)
    w.made["lot"] = recorded_lot(w)
    return {"id": contract_id}


def delivered_contract(w: World, **overrides: Any) -> str:
    contract_id = signed_with_lots(w, **overrides)
    ok(w.actors["producer_admin"].post(f"{CONTRACTS}{contract_id}/mark-delivered/"))
    return contract_id


def paid_deposit(w: World) -> dict[str, Any]:
    """A deposit on a fixed-price contract, paid by card at localstripe; the webhook has not come yet."""
    stripe = w.request.getfixturevalue("stripe_on_localstripe")
    w.made["contract"] = signed_contract(w, **FIXED_PRICE)
    deposit = ok(w.actors["buyer_admin"].post(f"{CONTRACTS}{w.made['contract']}/deposit/"), 201)
    assert stripe.pay(deposit["payment_intent"], "pm_card_visa")["status"] == "succeeded"
    return deposit


def held_deposit(w: World, *, delivered: bool = False) -> str:
    deposit = paid_deposit(w)
    assert deliver_event("payment_intent.succeeded", deposit["payment_intent"]).status_code == 200
    assert Deposit.objects.get(pk=deposit["id"]).status == "held"
    if delivered:
        deliver_lot(w.actors["producer_admin"], {"id": w.made["contract"]}, w.site)
        ok(w.actors["producer_admin"].post(f"{CONTRACTS}{w.made['contract']}/mark-delivered/"))
    return deposit["id"]


def pending_site(w: World) -> str:
    return str(make_approved_site(w.producer, status=Site.Status.PENDING).pk)


def producer_in(w: World, status: str) -> None:
    Producer.objects.filter(pk=w.producer.pk).update(verification_status=status)


def listing_in(w: World, status: str) -> None:
    Listing.objects.filter(pk=w.listing.pk).update(status=status)


def miner(w: World) -> str:
    return str(
        MemberMiner.objects.create(
            producer=w.producer, full_name="Rosa Quispe Huamán", dni="40000001", birth_year=1982, sex="female"
        ).pk
    )


def plain_member(w: World) -> str:
    user = UserFactory(email="socia2@example.test")
    return str(MembershipFactory(organization=w.coop, role=Role.MEMBER, user=user).pk)


def unread_notification(w: World, role: str = "producer_admin") -> str:
    [notification] = notify(
        recipients=[w.user(role)], kind="welcome", params={"organization": w.coop.legal_name}, organization=w.coop
    )
    return str(notification.pk)


INVITATION_TOKEN = "una-invitacion-de-prueba-0123456789"


def invitation(w: World, token: str = INVITATION_TOKEN) -> str:
    return str(
        InvitationFactory(
            organization=w.coop,
            invited_by=w.user("producer_admin"),
            invited_by_organization=w.coop,
            email="nueva@example.test",
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
        ).pk
    )


def sourcing_request(w: World) -> str:
    today = clock.today_lima()
    return str(
        SourcingRequest.objects.create(
            buyer=w.user("buyer_admin").memberships.get().organization,
            created_by=w.user("buyer_admin"),
            title="2 kg, 900+",
            grams=Decimal("2000"),
            min_fineness=Decimal("900"),
            delivery_from=today,
            delivery_until=today + dt.timedelta(days=90),
        ).pk
    )


def offer(w: World) -> dict[str, Any]:
    today = clock.today_lima()
    return {
        "sites": [str(w.site.pk)],
        "form": "dore",
        "quantity_grams": "200.000",
        "min_order_grams": "50.000",
        "fineness": "920.0",
        "fineness_basis": "xrf",
        "processing_methods": ["shaking_table"],
        "claims": [],
        "price_basis": "lbma_pm",
        "lbma_adjustment_percent": "-2.00",
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=60)).isoformat(),
        "title_es": "Doré 920",
    }


def yesterday() -> dt.date:
    """A day that has begun in London and in Lima."""
    return clock.today_lima() - dt.timedelta(days=1)


def fix_body() -> dict[str, Any]:
    return {
        "benchmark": "lbma_gold_pm",
        "date": yesterday().isoformat(),
        "usd_per_troy_ounce": "4118.900",
        "source": "LBMA, lbma.org.uk",
    }


def recorded_fix() -> str:
    return str(MetalPrice.objects.create(benchmark="lbma_gold_pm", date=yesterday(), usd_per_troy_ounce_milli=4_118_900,
                                         source="LBMA").pk)  # fmt: skip


def recorded_rate() -> str:
    return str(ExchangeRate.objects.create(date=yesterday(), rate_micro=3_452_100, source="SBS").pk)


# --- The table -----------------------------------------------------------------------------------------------

Params = dict[str, Any]


@dataclass(frozen=True)
class Write:
    role: str  # a key of World.actors that may do it
    events: tuple[str, ...]  # the actions the call appends, in order
    arrange: Callable[[World], Params] = lambda w: {}  # path parameters, after making what must exist
    body: Callable[[World], dict[str, Any] | None] = lambda w: None
    status: int = 200
    multipart: bool = False
    target: Callable[[World, Params, Any], str] | None = None  # the first event's target_id; default: the
    # path's last id, or the id of what a POST without one created
    send: Callable[[World, str, dict[str, Any] | None], Any] | None = None  # instead of the actor's client
    why: str = ""  # said for every row with more than one event


def support_officer(w: World) -> str:
    """A field officer of a support organisation, to whom coop may delegate."""
    membership = MembershipFactory(
        organization=SupportOrganizationFactory(), user=UserFactory(email="officer@apoyo.example"), role=Role.MEMBER
    )
    return str(membership.user_id)


def delegation(w: World) -> str:
    return str(DelegationFactory(organization=w.coop, granted_by=w.user("producer_admin")).pk)


def failed_job() -> str:
    job = Job.objects.create(
        name="jobs.prune", state=JobState.FAILED, attempts=3, max_attempts=3, run_after=timezone.now()
    )
    return str(job.pk)


def webhook_endpoint(w: World, **changes: Any) -> str:
    endpoint = WebhookEndpoint.objects.create(
        organization=w.coop,
        url="https://93.184.216.34/hooks",
        event_types=["contract.accepted"],
        created_by=w.user("producer_admin"),
        **changes,
    )
    WebhookSecret.objects.create(endpoint=endpoint, secret="whsec_" + "1" * 64)
    return str(endpoint.pk)


def webhook_delivery(w: World) -> str:
    endpoint = WebhookEndpoint.objects.get(pk=webhook_endpoint(w))
    event = WebhookEvent.objects.create(type="contract.accepted", organization=w.coop, payload={"id": "x"}, audit_seq=1)
    return str(WebhookDelivery.objects.create(event=event, endpoint=endpoint, state="failed").pk)


def own(w: World, params: Params, body: Any) -> str:
    return str(w.producer.pk)


def reason(text: str = "Revisado por la red.") -> Callable[[World], dict[str, Any]]:
    return lambda w: {"reason": text}


def contract(make: Callable[..., str]) -> Callable[[World], Params]:
    return lambda w: {"id": make(w)}


def signup(w: World) -> dict[str, Any]:
    return {
        "email": "compras@refineria.example",
        "password": "Zurich-gold-2026-refine",
        "full_name": "Anna Keller",
        "organization": {"legal_name": "Refinería Andina SA", "country": "CH", "buyer_type": "refiner"},
    }


def webhook(w: World, url: str, body: Any) -> Any:
    return deliver_event("payment_intent.succeeded", w.made["intent"])


def paid_deposit_for_webhook(w: World) -> Params:
    deposit = paid_deposit(w)
    w.made["intent"] = deposit["payment_intent"]
    w.made["deposit"] = deposit["id"]
    return {}


def weighing_body(grams: str) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"gross_grams": grams, "weighed_on": clock.today_lima().isoformat()}


def weighed_shipment(w: World) -> Params:
    """A signed contract whose buyer recorded its received weight of shipment 1."""
    contract_id = signed_contract(w)
    url = f"{CONTRACTS}{contract_id}/shipments/1/weighings/"
    ok(w.actors["buyer_admin"].post(url, weighing_body("300.980")(w), format="json"), 201)
    return {"id": contract_id, "n": 1, "party": "buyer"}


def assay_body(party: str | None = None) -> dict[str, Any]:
    body = {
        "au_per_mille": "921.4",
        "ag_per_mille": "61.2",
        "laboratory": "Laboratorio Regional",
        "certificate_number": "LR-0412",
        "assayed_on": clock.today_lima().isoformat(),
    }
    return body if party is None else {"party": party, **body}


def assayed_shipment(w: World) -> Params:
    """A signed contract whose producer recorded the seller's assay of shipment 1."""
    contract_id = signed_contract(w)
    url = f"{CONTRACTS}{contract_id}/shipments/1/assays/"
    ok(w.actors["producer_admin"].post(url, assay_body("seller"), format="json"), 201)
    return {"id": contract_id, "n": 1, "party": "seller"}


def payment_body(w: World) -> dict[str, Any]:
    return {
        "kind": "provisional",
        "shipment": 1,
        "amount": {"amount_minor": 2434320, "currency": "USD"},
        "paid_on": clock.today_lima().isoformat(),
        "bank_reference": "UBS-CH-0114-7731",
    }


def issuable_statement(w: World) -> Params:
    """A signed contract with settlement terms, its seller's weight and assay of shipment 1 recorded, and the LBMA
    fix of the day: its provisional statement can be issued."""
    contract_id = signed_contract(w)
    version = Contract.objects.get(pk=contract_id).signed_version
    SettlementTerms.objects.create(
        version=version,
        fixing_rule="after_receipt",
        gold_payable_bp=9950,
        provisional_bp=9000,
        splitting_limit=Decimal("0.5"),
        umpire_laboratory="Alex Stewart International, Lima",
    )
    MetalPrice.objects.create(
        benchmark="lbma_gold_pm", date=clock.today_lima(), usd_per_troy_ounce_milli=2650350, source="LBMA"
    )
    url = f"{CONTRACTS}{contract_id}/shipments/1/"
    ok(w.actors["producer_admin"].post(f"{url}weighings/", weighing_body("301.250")(w), format="json"), 201)
    ok(w.actors["producer_admin"].post(f"{url}assays/", assay_body("seller"), format="json"), 201)
    return {"id": contract_id, "n": 1, "kind": "provisional"}


def recorded_payment(w: World) -> Params:
    """A transfer the buyer recorded on a signed contract, not confirmed yet."""
    contract_id = signed_contract(w)
    payment = ok(
        w.actors["buyer_admin"].post(f"{CONTRACTS}{contract_id}/payments/", payment_body(w), format="json"), 201
    )
    return {"id": payment["id"]}


P = "/api/v1/producers/{id}/"
SITE = "/api/v1/producers/{producer_pk}/sites/{id}/"
MINER = "/api/v1/producers/{producer_pk}/members/{id}/"
EVIDENCE = "/api/v1/evidence/{id}/"
KYC = "/api/v1/organizations/{organization_pk}/kyc/"
LISTING = "/api/v1/listings/{id}/"
CONTRACT = "/api/v1/contracts/{id}/"
SHIPMENT = "/api/v1/contracts/{id}/shipments/{n}/"
producer_path = lambda w: {"id": str(w.producer.pk)}  # noqa: E731
kyc_path = lambda w: {"organization_pk": str(w.user("buyer_admin").memberships.get().organization_id)}  # noqa: E731
listing_path = lambda w: {"id": str(w.listing.pk)}  # noqa: E731

# fmt: off
WRITES: dict[tuple[str, str], Write] = {
    # --- accounts: sign-up, sign-in and out, the profile, the organisation, members, invitations.
    ("POST", "/api/v1/auth/signup/"): Write(
        "anonymous", ("accounts.buyer.signed_up",), body=signup, status=201,
        target=lambda w, p, body: body["organization"]["id"]),
    ("POST", "/api/v1/auth/login/"): Write(
        "anonymous", ("accounts.login.succeeded",), body=lambda w: {"email": w.user("buyer_admin").email,
                                                                      "password": PASSWORD},
        target=lambda w, p, body: str(w.user("buyer_admin").pk)),
    ("POST", "/api/v1/auth/logout/"): Write(
        "buyer_admin", ("accounts.logout",), status=204, target=lambda w, p, body: str(w.user("buyer_admin").pk)),
    ("POST", "/api/v1/auth/logout-all/"): Write(
        "buyer_admin", ("accounts.logout_all",), status=204,
        target=lambda w, p, body: str(w.user("buyer_admin").pk)),
    ("POST", "/api/v1/auth/tokens/refresh/"): Write(
        "buyer_admin", ("accounts.token.refreshed",), target=lambda w, p, body: str(w.user("buyer_admin").pk)),
    ("DELETE", "/api/v1/auth/tokens/{id}/"): Write(
        "buyer_admin", ("accounts.token.revoked",), status=204,
        arrange=lambda w: {"id": str(TokenDevice.objects.get(token__user=w.user("buyer_admin")).pk)},
        target=lambda w, p, body: str(w.user("buyer_admin").pk)),
    ("PATCH", "/api/v1/me/"): Write(
        "buyer_admin", ("accounts.user.updated",), body=lambda w: {"full_name": "Anna Keller-Meier"},
        target=lambda w, p, body: str(w.user("buyer_admin").pk)),
    ("PATCH", "/api/v1/organizations/{id}/"): Write(
        "producer_admin", ("accounts.organization.updated",), arrange=lambda w: {"id": str(w.coop.pk)},
        body=lambda w: {"website": "https://mujeresdeoro.example"}),
    ("PATCH", "/api/v1/organizations/{organization_pk}/members/{id}/"): Write(
        "producer_admin", ("accounts.membership.role_changed",),
        arrange=lambda w: {"organization_pk": str(w.coop.pk), "id": plain_member(w)},
        body=lambda w: {"role": "admin"}),
    ("DELETE", "/api/v1/organizations/{organization_pk}/members/{id}/"): Write(
        "producer_admin", ("accounts.membership.removed",),
        arrange=lambda w: {"organization_pk": str(w.coop.pk), "id": plain_member(w)}, status=204,
        target=lambda w, p, body: p["organization_pk"]),  # the membership is gone: its organisation is the target
    ("POST", "/api/v1/invitations/"): Write(
        "producer_admin", ("accounts.invitation.created",),
        body=lambda w: {"email": "elena@mujeresdeoro.example", "role": "member"}, status=201),
    ("POST", "/api/v1/invitations/{id}/revoke/"): Write(
        "producer_admin", ("accounts.invitation.revoked",), arrange=lambda w: {"id": invitation(w)}),
    ("POST", "/api/v1/invitations/{id}/resend/"): Write(
        "producer_admin", ("accounts.invitation.resent",), arrange=lambda w: {"id": invitation(w)}),
    ("POST", "/api/v1/delegations/"): Write(
        "producer_admin", ("accounts.delegation.granted",),
        arrange=lambda w: {"officer": support_officer(w)},
        body=lambda w: {"officer_email": "officer@apoyo.example", "scopes": ["evidence", "sites"]}, status=201),
    ("POST", "/api/v1/delegations/{id}/revoke/"): Write(
        "producer_admin", ("accounts.delegation.revoked",), arrange=lambda w: {"id": delegation(w)}),
    ("POST", "/api/v1/invitations/accept/"): Write(
        "anonymous", ("accounts.invitation.accepted",), arrange=lambda w: {"invitation": invitation(w)},
        body=lambda w: {"token": INVITATION_TOKEN, "password": "Elena-oro-limpio-42", "full_name": "Elena Choque"},
        status=201, target=lambda w, p, body: p["invitation"]),
    # --- notifications: the reader's own inbox.
    ("POST", "/api/v1/notifications/{id}/read/"): Write(
        "producer_admin", ("notifications.notification.read",), arrange=lambda w: {"id": unread_notification(w)}),
    ("POST", "/api/v1/notifications/read-all/"): Write(
        "producer_admin", ("notifications.notification.read_all",),
        arrange=lambda w: {"first": unread_notification(w), "second": unread_notification(w)},
        target=lambda w, p, body: str(w.user("producer_admin").pk)),
    # --- producers: the profile and its verification, sites, the roster.
    ("POST", "/api/v1/producers/"): Write(
        "other_producer", ("producers.producer.created",), status=201,
        body=lambda w: {"legal_kind": "association", "legal_category": "REINFO", "ruc": "20100070970",
                        "reinfo_code": "REINFO-MDD-2024-0999", "district": "laberinto"}),
    ("PATCH", P): Write(
        "producer_admin", ("producers.producer.updated",), arrange=producer_path,
        body=lambda w: {"description_es": "Mujeres mineras de Huepetuhe."}),
    ("POST", P + "submit/"): Write(
        "producer_admin", ("producers.producer.submit",),
        arrange=lambda w: (producer_in(w, Verification.DRAFT), producer_path(w))[1]),
    ("POST", P + "verify/"): Write(
        "reviewer", ("producers.producer.verify",),
        arrange=lambda w: (producer_in(w, Verification.SUBMITTED), producer_path(w))[1], body=lambda w: {}),
    ("POST", P + "request-changes/"): Write(
        "reviewer", ("producers.producer.request_changes",),
        arrange=lambda w: (producer_in(w, Verification.SUBMITTED), producer_path(w))[1], body=reason()),
    ("POST", P + "reject/"): Write(
        "reviewer", ("producers.producer.reject",),
        arrange=lambda w: (producer_in(w, Verification.SUBMITTED), producer_path(w))[1], body=reason()),
    ("POST", P + "suspend/"): Write("reviewer", ("producers.producer.suspend",), arrange=producer_path, body=reason()),
    ("POST", P + "reinstate/"): Write(
        "reviewer", ("producers.producer.reinstate",),
        arrange=lambda w: (producer_in(w, Verification.SUSPENDED), producer_path(w))[1], body=lambda w: {}),
    ("POST", P + "revoke/"): Write("reviewer", ("producers.producer.revoke",), arrange=producer_path, body=reason()),
    ("POST", "/api/v1/producers/{producer_pk}/sites/"): Write(
        "producer_admin", ("producers.site.created",), arrange=lambda w: {"producer_pk": str(w.producer.pk)},
        body=lambda w: {"name": "Playa Nueva", "concession_code": "010209999", "district": "huepetuhe",
                        "geometry": {"type": "Point", "coordinates": [-70.51, -12.98]}}, status=201),
    ("PATCH", SITE): Write(
        "producer_admin", ("producers.site.updated",),
        arrange=lambda w: {"producer_pk": str(w.producer.pk), "id": pending_site(w)},
        body=lambda w: {"name": "Playa Huepetuhe Bajo"}),
    ("POST", SITE + "approve/"): Write(
        "reviewer", ("producers.site.approve",),
        arrange=lambda w: {"producer_pk": str(w.producer.pk), "id": pending_site(w)}, body=lambda w: {}),
    ("POST", SITE + "reject/"): Write(
        "reviewer", ("producers.site.reject",),
        arrange=lambda w: {"producer_pk": str(w.producer.pk), "id": pending_site(w)}, body=reason()),
    ("POST", "/api/v1/producers/{producer_pk}/members/"): Write(
        "producer_admin", ("producers.member_miner.added",), arrange=lambda w: {"producer_pk": str(w.producer.pk)},
        body=lambda w: {"full_name": "Elena Choque", "dni": "41234567", "birth_year": 1990, "sex": "female"},
        status=201),
    ("PATCH", MINER): Write(
        "producer_admin", ("producers.member_miner.updated",),
        arrange=lambda w: {"producer_pk": str(w.producer.pk), "id": miner(w)}, body=lambda w: {"role": "titular"}),
    ("DELETE", MINER): Write(
        "producer_admin", ("producers.member_miner.removed",),
        arrange=lambda w: {"producer_pk": str(w.producer.pk), "id": miner(w)}, status=204,
        target=lambda w, p, body: p["producer_pk"]),  # the person is off the roster: the producer is the target
    # --- compliance: evidence and its review, buyers' KYC.
    ("POST", "/api/v1/evidence/"): Write(
        "producer_admin", ("compliance.evidence.submitted",), status=201, multipart=True,
        body=lambda w: {"evidence_type": "OHS_TRAINING", "files": [pdf_upload()],
                        "issue_date": (clock.today_lima() - dt.timedelta(days=2)).isoformat()}),
    ("POST", EVIDENCE + "claim/"): Write(
        "reviewer", ("compliance.evidence.claim",), arrange=lambda w: {"id": submitted_evidence(w)}),
    ("POST", EVIDENCE + "approve/"): Write(
        "reviewer", ("compliance.evidence.approve",), arrange=lambda w: {"id": claimed_evidence(w)},
        body=lambda w: {}),
    ("POST", EVIDENCE + "reject/"): Write(
        "reviewer", ("compliance.evidence.reject",), arrange=lambda w: {"id": claimed_evidence(w)}, body=reason()),
    ("POST", EVIDENCE + "request-changes/"): Write(
        "reviewer", ("compliance.evidence.request_changes",), arrange=lambda w: {"id": claimed_evidence(w)},
        body=reason()),
    ("POST", EVIDENCE + "revoke/"): Write(
        "reviewer", ("compliance.evidence.revoke",), arrange=lambda w: {"id": approved_evidence(w)}, body=reason()),
    ("POST", KYC + "submit/"): Write(
        "buyer_admin", ("compliance.kyc.submit",),
        arrange=lambda w: (unverified_kyc(w), kyc_uploaded(w), kyc_path(w))[2], body=lambda w: {},
        target=lambda w, p, body: p["organization_pk"]),
    ("POST", KYC + "verify/"): Write(
        "reviewer", ("compliance.kyc.verify",),
        arrange=lambda w: (unverified_kyc(w), kyc_uploaded(w, approved=True),
                           ok(w.actors["buyer_admin"].post(KYC.format(**kyc_path(w)) + "submit/", {}, format="json")),
                           kyc_path(w))[3],
        body=lambda w: {}, target=lambda w, p, body: p["organization_pk"]),
    ("POST", KYC + "reject/"): Write(
        "reviewer", ("compliance.kyc.reject",),
        arrange=lambda w: (unverified_kyc(w), kyc_uploaded(w),
                           ok(w.actors["buyer_admin"].post(KYC.format(**kyc_path(w)) + "submit/", {}, format="json")),
                           kyc_path(w))[3],
        body=reason("Falta el registro de beneficiarios finales."), target=lambda w, p, body: p["organization_pk"]),
    # --- provenance: lots, their assays and custody.
    ("POST", "/api/v1/lots/"): Write(
        "producer_admin", ("provenance.lot.recorded",), status=201,
        arrange=lambda w: (declare_row(w.site, last_month(), "1000.000"), {})[1],
        body=lambda w: lot_body(w.site, "480.000")),
    ("POST", "/api/v1/lots/{id}/assays/"): Write(
        "producer_admin", ("provenance.assay.added",), arrange=lambda w: {"id": recorded_lot(w)}, multipart=True,
        status=201,
        body=lambda w: {"laboratory": "Laboratorio Regional", "method": "fire_assay", "au_per_mille": "921.4",
                        "ag_per_mille": "61.2", "certificate_number": "LR-0412",
                        "assayed_on": clock.today_lima().isoformat(), "file": pdf_upload("ensayo.pdf")}),
    ("POST", "/api/v1/lots/{id}/custody-events/"): Write(
        "producer_admin", ("provenance.custody.sealed",), arrange=lambda w: {"id": recorded_lot(w)}, status=201,
        body=lambda w: {"kind": "sealed", "occurred_at": timezone.now().isoformat(), "seal_number": "004417"}),
    # --- diligence: red flags.
    ("POST", "/api/v1/red-flags/"): Write(
        "reviewer", ("diligence.red_flag.opened",), status=201, body=lambda w: red_flag_body(w, "high")),
    ("POST", "/api/v1/red-flags/{id}/close/"): Write(
        "reviewer", ("diligence.red_flag.closed",), arrange=lambda w: {"id": red_flag(w)},
        body=reason("Field visit: the workings are outside the reserve.")),
    ("POST", "/api/v1/red-flags/{id}/answers/"): Write(
        "producer_member", ("diligence.red_flag.answered",), arrange=lambda w: {"id": red_flag(w)}, status=201,
        body=lambda w: {"text": "We stopped working the northern pit in 2025."}),
    ("POST", "/api/v1/red-flags/{id}/attachments/"): Write(
        "reviewer", ("diligence.red_flag.attachment_added",), arrange=lambda w: {"id": red_flag(w)}, status=201,
        multipart=True, body=lambda w: {"file": pdf_upload("mapa.pdf")}),
    # --- the due-diligence pack: the buyer asks (it has an inquiry with coop), coop's admin answers.
    ("POST", "/api/v1/producers/{producer_pk}/pack-requests/"): Write(
        "buyer_member", ("diligence.pack_consent.requested",), status=201,
        arrange=lambda w: (inquiry(w), {"producer_pk": w.producer.pk})[1], target=lambda w, p, body: body["id"]),
    ("POST", "/api/v1/pack-requests/{id}/grant/"): Write(
        "producer_admin", ("diligence.pack_consent.granted",), arrange=lambda w: {"id": pack_request(w)}),
    ("POST", "/api/v1/pack-requests/{id}/decline/"): Write(
        "producer_admin", ("diligence.pack_consent.declined",), arrange=lambda w: {"id": pack_request(w)},
        body=reason("Solo con contrato firmado.")),
    ("POST", "/api/v1/pack-requests/{id}/revoke/"): Write(
        "producer_admin", ("diligence.pack_consent.revoked",),
        arrange=lambda w: {"id": pack_request(w, grant=True)}, body=lambda w: {}),
    # --- listings and sourcing requests.
    ("POST", "/api/v1/listings/"): Write("producer_admin", ("listings.listing.created",), body=offer, status=201),
    ("PATCH", LISTING): Write(
        "producer_admin", ("listings.listing.updated",),
        arrange=lambda w: (listing_in(w, ListingStatus.DRAFT), listing_path(w))[1],
        body=lambda w: {"title_es": "Doré 920 sin mercurio, Huepetuhe"}),
    ("POST", LISTING + "publish/"): Write(
        "producer_admin", ("listings.listing.publish",),
        arrange=lambda w: (listing_in(w, ListingStatus.DRAFT), listing_path(w))[1]),
    ("POST", LISTING + "release/"): Write(
        "reviewer", ("listings.listing.release",),
        arrange=lambda w: (listing_in(w, ListingStatus.HELD), listing_path(w))[1]),
    ("POST", LISTING + "pause/"): Write("producer_admin", ("listings.listing.pause",), arrange=listing_path),
    ("POST", LISTING + "resume/"): Write(
        "producer_admin", ("listings.listing.resume",),
        arrange=lambda w: (listing_in(w, ListingStatus.PAUSED), listing_path(w))[1]),
    ("POST", LISTING + "withdraw/"): Write("producer_admin", ("listings.listing.withdraw",), arrange=listing_path),
    ("POST", LISTING + "reprice/"): Write(
        "producer_admin", ("listings.listing.repriced",), arrange=listing_path,
        body=lambda w: {"price_basis": "fixed", "price_per_fine_gram": {"amount_minor": 8350, "currency": "USD"},
                        "premium_per_kg_fine_minor": 0, "premium_currency": "USD"}),
    ("POST", LISTING + "photos/"): Write(
        "producer_admin", ("listings.listing.photos_added",), arrange=listing_path, multipart=True, status=201,
        body=lambda w: {"files": [SimpleUploadedFile("mesa.jpg", make_test_image("JPEG", (320, 240)),
                                                     content_type="image/jpeg")]}),
    ("POST", "/api/v1/sourcing-requests/"): Write(
        "buyer_admin", ("listings.sourcing_request.created",), status=201,
        body=lambda w: {"title": "2 kg per quarter", "grams": "2000.000", "min_fineness": "900.0",
                        "delivery_from": clock.today_lima().isoformat(),
                        "delivery_until": (clock.today_lima() + dt.timedelta(days=90)).isoformat()}),
    ("POST", "/api/v1/sourcing-requests/{id}/close/"): Write(
        "buyer_admin", ("listings.sourcing_request.closed",), arrange=lambda w: {"id": sourcing_request(w)}),
    # --- trade: inquiries, contracts, deposits, and Stripe's webhook.
    ("POST", "/api/v1/inquiries/"): Write(
        "buyer_admin", ("trade.inquiry.opened",), status=201,
        body=lambda w: {"listing": str(w.listing.pk), "grams": "300.000", "message": "¿Entregan en mayo?"}),
    ("POST", "/api/v1/inquiries/{inquiry_pk}/messages/"): Write(
        "producer_admin", ("trade.inquiry.message_posted",), arrange=lambda w: {"inquiry_pk": inquiry(w)},
        body=lambda w: {"body": "Sí, en mayo."}, status=201, target=lambda w, p, body: p["inquiry_pk"]),
    ("POST", "/api/v1/inquiries/{id}/close/"): Write(
        "buyer_admin", ("trade.inquiry.closed",), arrange=lambda w: {"id": inquiry(w)}),
    ("POST", "/api/v1/contracts/"): Write(
        "producer_admin", ("trade.contract.proposed",), status=201,
        arrange=lambda w: {"inquiry": inquiry(w)}, body=lambda w: {"inquiry": w.made["inquiry"], **terms(w.site)},
        target=lambda w, p, body: body["id"]),
    ("POST", CONTRACT + "propose/"): Write(
        "buyer_admin", ("trade.contract.proposed",), arrange=contract(proposed_contract), status=201,
        body=lambda w: terms(w.site, delivery_date=(clock.today_lima() + dt.timedelta(days=60)).isoformat())),
    ("POST", CONTRACT + "accept/"): Write(
        "buyer_admin", ("trade.contract.signed",), arrange=contract(proposed_contract), body=lambda w: {"version": 1}),
    ("POST", CONTRACT + "decline/"): Write(
        "buyer_admin", ("trade.contract.decline",), arrange=contract(proposed_contract), body=lambda w: {}),
    ("POST", CONTRACT + "withdraw/"): Write(
        "producer_admin", ("trade.contract.withdraw",), arrange=contract(proposed_contract), body=lambda w: {}),
    ("POST", CONTRACT + "cancel/"): Write(
        "buyer_admin", ("trade.contract.cancel",), arrange=contract(signed_contract),
        body=reason("Ya no necesitamos el oro.")),
    ("POST", CONTRACT + "mark-delivered/"): Write(
        "producer_admin", ("trade.contract.mark_delivered",), arrange=contract(signed_with_lots)),
    ("POST", CONTRACT + "lots/"): Write(
        "producer_admin", ("trade.contract.lots_named",), arrange=signed_and_a_lot, status=201,
        body=lambda w: {"lots": [w.made["lot"]]}),
    ("POST", CONTRACT + "complete/"): Write(
        "buyer_admin", ("trade.contract.complete",), arrange=contract(delivered_contract)),
    ("POST", CONTRACT + "deposit/"): Write(
        "buyer_admin", ("trade.deposit.created",), status=201,
        arrange=lambda w: (w.request.getfixturevalue("stripe_on_localstripe"),
                           {"id": signed_contract(w, **FIXED_PRICE)})[1],
        target=lambda w, p, body: body["id"]),
    ("POST", "/api/v1/deposits/{id}/refund/"): Write(
        "staff", ("trade.deposit.refund_reserved", "trade.deposit.refunded"),
        arrange=lambda w: {"id": held_deposit(w)}, body=lambda w: {"amount_minor": 1000},
        target=lambda w, p, body: p["id"],
        why="the refund is reserved on the deposit and committed before Stripe is asked, then its outcome is "
            "recorded: a crash in between leaves `refund_reserved` alone, which `reconcile_deposits` finishes"),
    ("POST", "/api/v1/deposits/{id}/release/"): Write(
        "staff", ("trade.deposit.released",), arrange=lambda w: {"id": held_deposit(w, delivered=True)},
        body=lambda w: {"payout_reference": "BCP 0077812"}),
    ("POST", "/api/v1/payments/stripe/webhook/"): Write(
        "anonymous", ("trade.deposit.payment_held",), arrange=paid_deposit_for_webhook, send=webhook,
        target=lambda w, p, body: w.made["deposit"]),
    # --- settlement: weighings, assays and bank payments of a signed contract.
    ("POST", SHIPMENT + "weighings/"): Write(
        "producer_admin", ("settlement.weighing.recorded",), arrange=lambda w: {"id": signed_contract(w), "n": 1},
        body=weighing_body("301.250"), status=201, target=lambda w, p, body: body["id"]),
    ("PUT", SHIPMENT + "weighings/{party}/"): Write(
        "buyer_admin", ("settlement.weighing.corrected",), arrange=weighed_shipment, body=weighing_body("300.990"),
        target=lambda w, p, body: body["id"]),
    ("POST", SHIPMENT + "assays/"): Write(
        "producer_admin", ("settlement.assay.recorded",), arrange=lambda w: {"id": signed_contract(w), "n": 1},
        body=lambda w: assay_body("seller"), status=201, target=lambda w, p, body: body["id"]),
    ("PUT", SHIPMENT + "assays/{party}/"): Write(
        "producer_admin", ("settlement.assay.corrected",), arrange=assayed_shipment,
        body=lambda w: {**assay_body(), "au_per_mille": "921.1"}, target=lambda w, p, body: body["id"]),
    ("POST", CONTRACT + "payments/"): Write(
        "buyer_admin", ("settlement.payment.recorded",), arrange=contract(signed_contract), body=payment_body,
        status=201, target=lambda w, p, body: body["id"]),
    ("POST", "/api/v1/payments/{id}/confirm/"): Write(
        "producer_admin", ("settlement.payment.confirmed",), arrange=recorded_payment),
    ("POST", SHIPMENT + "statements/{kind}/issue/"): Write(
        "buyer_admin", ("settlement.statement.issued",), arrange=issuable_statement, status=201,
        target=lambda w, p, body: p["id"]),
    # --- the price table: staff record figures; a correction's event is about the new row it writes.
    # --- the queue: staff retry a failed job.
    ("POST", "/api/v1/jobs/{id}/retry/"): Write("staff", ("jobs.job.retried",), arrange=lambda w: {"id": failed_job()}),
    # --- webhooks: an organisation's admins manage its endpoints.
    ("POST", "/api/v1/webhook-endpoints/"): Write(
        "producer_admin", ("webhooks.endpoint.created",), status=201,
        body=lambda w: {"url": "https://93.184.216.34/hooks", "event_types": ["contract.accepted"]}),
    ("PATCH", "/api/v1/webhook-endpoints/{id}/"): Write(
        "producer_admin", ("webhooks.endpoint.updated",), arrange=lambda w: {"id": webhook_endpoint(w)},
        body=lambda w: {"description": "ERP"}),
    ("DELETE", "/api/v1/webhook-endpoints/{id}/"): Write(
        "producer_admin", ("webhooks.endpoint.deleted",), arrange=lambda w: {"id": webhook_endpoint(w)}, status=204),
    ("POST", "/api/v1/webhook-endpoints/{id}/rotate-secret/"): Write(
        "producer_admin", ("webhooks.endpoint.secret_rotated",), arrange=lambda w: {"id": webhook_endpoint(w)},
        body=lambda w: {"overlap_hours": 24}),
    ("POST", "/api/v1/webhook-endpoints/{id}/enable/"): Write(
        "producer_admin", ("webhooks.endpoint.enabled",),
        arrange=lambda w: {"id": webhook_endpoint(w, state="disabled", disabled_reason="failing")}),
    ("POST", "/api/v1/webhook-deliveries/{id}/replay/"): Write(
        "producer_admin", ("webhooks.delivery.replayed",), arrange=lambda w: {"id": webhook_delivery(w)}, status=201,
        target=lambda w, p, body: body["id"]),
    ("POST", "/api/v1/prices/fixes/"): Write(
        "staff", ("prices.fix.recorded",), status=201, body=lambda w: fix_body()),
    ("POST", "/api/v1/prices/fixes/{id}/correct/"): Write(
        "staff", ("prices.fix.corrected",), status=201, arrange=lambda w: {"id": recorded_fix()},
        body=lambda w: {"usd_per_troy_ounce": "4119.800", "reason": "Typed from the wrong bulletin."},
        target=lambda w, p, body: body["id"]),
    ("POST", "/api/v1/prices/rates/"): Write(
        "staff", ("prices.rate.recorded",), status=201,
        body=lambda w: {"date": yesterday().isoformat(), "rate": "3.452100", "source": "SBS"}),
    ("POST", "/api/v1/prices/rates/{id}/correct/"): Write(
        "staff", ("prices.rate.corrected",), status=201, arrange=lambda w: {"id": recorded_rate()},
        body=lambda w: {"rate": "3.451200", "reason": "The SBS revised it."}, target=lambda w, p, body: body["id"]),
    ("POST", "/api/v1/prices/certification-terms/"): Write(
        "staff", ("prices.certification_terms.recorded",), status=201, body=lambda w: {
            "claim": "fairtrade", "valid_from": (clock.today_lima() + dt.timedelta(days=30)).isoformat(),
            "minimum_price_percent": "95.00", "premium_rule": "per_kg_fine",
            "premium_per_kg_fine": {"amount_minor": 250000, "currency": "USD"},
            "source": "Fairtrade Standard, 2027 revision", "source_date": clock.today_lima().isoformat()}),
}
# fmt: on


def test_every_write_operation_of_the_schema_has_a_row():
    assert schema_write_operations(), "the committed schema has no write operation: is openapi/schema.yaml there?"

    assert sorted(schema_write_operations() - WRITES.keys()) == [], "write operations without a row in WRITES"
    assert sorted(WRITES.keys() - schema_write_operations()) == [], "rows for operations the schema does not have"


def test_a_row_with_more_than_one_event_says_why():
    assert [op for op, row in WRITES.items() if len(row.events) != 1 and not row.why] == []


def _send(w: World, operation: tuple[str, str], row: Write, params: Params) -> Any:
    method, path = operation
    url = path.format(**params)
    body = row.body(w)
    if row.send is not None:
        return row.send(w, url, body)
    call = getattr(w.actors[row.role].client, method.lower())
    if body is None:
        return call(url)
    return call(url, body, format="multipart" if row.multipart else "json")


def _head() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.mark.parametrize("operation", sorted(WRITES), ids=[f"{m} {p}" for m, p in sorted(WRITES)])
def test_a_successful_write_appends_its_audit_event(operation, world):
    row = WRITES[operation]
    params = row.arrange(world)
    head = _head()

    response = _send(world, operation, row, params)

    assert response.status_code == row.status, response.content[:800]
    body = response.json() if response.content and "json" in response["Content-Type"] else None
    new = list(AuditEvent.objects.filter(seq__gt=head).order_by("seq"))
    assert [event.action for event in new] == list(row.events)
    if row.target is not None:
        expected_target = row.target(world, params, body)
    else:
        expected_target = params["id"] if "id" in params else body["id"]
    assert new[0].target_id == str(expected_target)
