"""Privileged fields in a request body are ignored or refused: for every write operation of the schema with a
JSON or multipart body, and every role that may call it, a valid body plus fields the caller may not set
(states, owners, reviewers, amounts, timestamps, hashes, ids...) is either answered as the valid body alone
would be, storing exactly what the valid body alone stores, or refused with a 400 problem with nothing stored.
The keys of the valid body's answer are checked against the response-key snapshot too (entries "..., valid
body", see test_response_keys.py).

How: in the permission matrix's world (imported from test_permission_matrix.py), put in the state where the
call succeeds (PREPARE), the valid body (WRITES) is sent twice, each time inside a savepoint that is rolled
back, to learn what it stores and which columns change from one call to the next (new ids, timestamps,
hashes: the volatile ones). Then the valid body plus the privileged fields is sent for good, and the rows it
created, changed or deleted must hold the same values as the valid body's in every column that is not
volatile, and no injected value anywhere (the injected values are unmistakable: another organisation's and
another user's ids, a text, a number, a date and an id nobody else uses).

The privileged fields of an operation are derived from the schema, so that a new field is covered without
anybody thinking of it: every property of the operation's success response that its request does not have
(nested objects too, where the request has the same object), plus KNOWN_PRIVILEGED, names that must never be
set by a client wherever they appear.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Invitation, Organization
from compliance.models import Evidence
from core import clock
from diligence.models import PackConsent
from marketplace.demo_files import make_test_pdf
from producers.models import Producer, Site
from settlement.models import AssayResult, Weighing
from tests.conftest import ActorClient
from tests.contract import test_permission_matrix as matrix
from tests.contract.helpers import approve_every_requirement, offer_the_listing, verify_buyer
from tests.contract.test_permission_matrix import (
    ASSAY,
    ASSAYS,
    CONTRACT_ACCEPT,
    CONTRACT_CANCEL,
    CONTRACT_LOTS,
    CONTRACT_PAYMENTS,
    CONTRACT_PROPOSE,
    DEPOSIT_REFUND,
    DEPOSIT_RELEASE,
    EVIDENCE_APPROVE,
    EVIDENCE_REJECT,
    EVIDENCE_REQUEST_CHANGES,
    EVIDENCE_REVOKE,
    FIX_CORRECT,
    INQUIRY_MESSAGES,
    KYC_REJECT,
    KYC_SUBMIT,
    KYC_VERIFY,
    LISTING,
    LISTING_PHOTOS,
    LISTING_REPRICE,
    LOT_ASSAYS,
    LOT_CUSTODY,
    MATRIX,
    MEMBER,
    MINER,
    ORGANIZATION,
    PACK_DECLINE,
    PACK_REVOKE,
    PRODUCER,
    PRODUCER_REINSTATE,
    PRODUCER_REJECT,
    PRODUCER_REQUEST_CHANGES,
    PRODUCER_REVOKE,
    PRODUCER_SUSPEND,
    PRODUCER_VERIFY,
    RATE_CORRECT,
    RED_FLAG_ANSWERS,
    RED_FLAG_ATTACHMENTS,
    RED_FLAG_CLOSE,
    ROLES,
    ROSTER,
    SITE,
    SITE_APPROVE,
    SITE_REJECT,
    SITES,
    WEBHOOK_ENDPOINT,
    WEBHOOK_ROTATE,
    WEIGHING,
    WEIGHINGS,
    World,
    body_format,
    home_url,
    photo_upload,
    schema_operations,
    with_fresh_files,
)
from tests.contract.test_response_keys import VALID_BODY, assert_keys_match_the_snapshot, entry, load_snapshot
from tests.factories import PASSWORD, MembershipFactory, UserFactory, make_ruc
from tests.provenance.helpers import declare_row, last_month, lot_body
from tests.settlement.home import settling_contract
from tests.trade import deposit_helpers
from trade.models import Contract, ContractLot, ContractVersion, Deposit, Inquiry

pytestmark = pytest.mark.django_db

# The matrix's world and the fixtures it stands on are this module's fixtures too (its Stripe settings are
# autouse there, and so here); the refund asks Stripe, here a fake of the gateway (the real refund runs
# against localstripe in tests/trade/test_deposits_localstripe.py).
world = matrix.world
producer_status = matrix.producer_status
_stripe_configured = matrix._stripe_configured
fake_stripe = deposit_helpers.fake_stripe

SIGNUP = "/api/v1/auth/signup/"
LOGIN = "/api/v1/auth/login/"
ME = "/api/v1/me/"
INVITATIONS = "/api/v1/invitations/"
INVITATION_ACCEPT = "/api/v1/invitations/accept/"
PRODUCERS = "/api/v1/producers/"
LISTINGS = "/api/v1/listings/"
SOURCING_REQUESTS = "/api/v1/sourcing-requests/"
EVIDENCE_LIST = "/api/v1/evidence/"
INQUIRIES = "/api/v1/inquiries/"
CONTRACTS = "/api/v1/contracts/"
WEBHOOK = "/api/v1/payments/stripe/webhook/"
LOTS = "/api/v1/lots/"
RED_FLAGS = "/api/v1/red-flags/"
PRICE_FIXES = "/api/v1/prices/fixes/"
PRICE_RATES = "/api/v1/prices/rates/"
CERTIFICATION_TERMS = "/api/v1/prices/certification-terms/"

# Names a client never sets, wherever they appear (the schema adds every response-only field of each
# operation to these).
KNOWN_PRIVILEGED = (
    "id",
    "pk",
    "status",
    "state",
    "kind",
    "kyc_status",
    "verification_status",
    "verified",
    "organization",
    "organization_id",
    "subject_organization",
    "producer",
    "buyer",
    "owner",
    "user",
    "created_by",
    "submitted_by",
    "reviewer",
    "claimed_by",
    "decided_by",
    "verified_by",
    "first_approved_by",
    "released_by",
    "proposed_by",
    "proposed_by_organization",
    "invited_by",
    "author",
    "side",
    "opened_by",
    "is_staff",
    "is_superuser",
    "role",
    "amount_minor",
    "refunded_minor",
    "amount_held",
    "held",
    "available_grams",
    "reserved_grams",
    "signed_at",
    "signed_version",
    "accepted_at",
    "acceptances",
    "terms_hash",
    "held_at",
    "released_at",
    "verified_at",
    "decided_at",
    "claimed_at",
    "published_at",
    "closed_at",
    "created_at",
    "updated_at",
    "decision_reason",
    "verification_reason",
    "review_reason",
    "provider_intent_id",
    "payment_intent",
    "client_secret",
    "idempotency_key",
    "payout_reference",
    "sha256",
    "file",
    "token_hash",
)

# The injected values: none of them can be stored by chance.
INJECTED_ID = "0badc0de-0000-4000-8000-00000000dead"
INJECTED_TEXT = "INJECTED-PRIVILEGED"
INJECTED_EMAIL = "injected@intruso.example"
INJECTED_INT = 987654321
INJECTED_GRAMS = "987654.321"
INJECTED_DATE = "2001-02-03"
INJECTED_DATETIME = "2001-02-03T04:05:06Z"
# Enumerations: the most privileged value the schema allows.
PREFERRED_CHOICES = (
    "network",
    "staff",
    "reviewer",
    "admin",
    "verified",
    "approved",
    "signed",
    "held",
    "released",
    "completed",
    "published",
    "succeeded",
    "accepted",
    "open",
)
ORGANIZATION_NAMES = {"organization", "organization_id", "subject_organization", "buyer", "owner"}
USER_NAMES = {
    "user",
    "created_by",
    "submitted_by",
    "reviewer",
    "claimed_by",
    "decided_by",
    "verified_by",
    "first_approved_by",
    "released_by",
    "proposed_by",
    "author",
}
BY_NAME: dict[str, Any] = {
    "status": "approved",
    "state": "signed",
    "kind": "network",
    "kyc_status": "verified",
    "verification_status": "verified",
    "verified": True,
    "is_staff": True,
    "is_superuser": True,
    "role": "reviewer",
    "amount_minor": INJECTED_INT,
    "refunded_minor": INJECTED_INT,
    "amount_held": INJECTED_INT,
    "held": INJECTED_INT,
    "available_grams": INJECTED_GRAMS,
    "reserved_grams": INJECTED_GRAMS,
    "signed_version": INJECTED_INT,
    "invited_by": INJECTED_EMAIL,
}


# --- The schema --------------------------------------------------------------------------------------
@functools.cache
def components() -> dict[str, Any]:
    schema = yaml.safe_load((Path(__file__).parents[2] / "openapi" / "schema.yaml").read_text())
    return schema["components"]["schemas"]


def resolve(schema: dict[str, Any] | None) -> dict[str, Any]:
    """The schema a `$ref`, a one-item `allOf` or a nullable `oneOf` stands for."""
    while schema:
        if "$ref" in schema:
            schema = components()[schema["$ref"].rsplit("/", 1)[-1]]
        elif len(schema.get("allOf", [])) == 1:
            schema = schema["allOf"][0]
        elif "oneOf" in schema or "anyOf" in schema:
            options = [option for option in schema.get("oneOf", schema.get("anyOf")) if option.get("type") != "null"]
            schema = options[0]
        else:
            return schema
    return {}


def properties(schema: dict[str, Any] | None) -> dict[str, Any]:
    return resolve(schema).get("properties", {})


def request_schema(operation: tuple[str, str]) -> dict[str, Any]:
    content = schema_operations()[operation].get("requestBody", {}).get("content", {})
    for media_type in ("application/json", "multipart/form-data"):
        if media_type in content:
            return resolve(content[media_type]["schema"])
    return {}


def response_schema(operation: tuple[str, str]) -> dict[str, Any]:
    for status, response in sorted(schema_operations()[operation]["responses"].items()):
        if status.startswith("2") and "application/json" in response.get("content", {}):
            return resolve(response["content"]["application/json"]["schema"])
    return {}


def write_operations_with_a_body() -> set[tuple[str, str]]:
    return {
        operation
        for operation in schema_operations()
        if operation[0] != "GET" and {"application/json", "multipart/form-data"} & request_schema_types(operation)
    }


def request_schema_types(operation: tuple[str, str]) -> set[str]:
    return set(schema_operations()[operation].get("requestBody", {}).get("content", {}))


def privileged_fields(request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """name -> the response's schema of it (None for a known name the response lacks); for an object that
    the request and the response share, name -> {"nested": the same for its fields}."""
    sent, answered = properties(request), properties(response)
    fields: dict[str, Any] = {name: schema for name, schema in answered.items() if name not in sent}
    for name in KNOWN_PRIVILEGED:
        if name not in sent:
            fields.setdefault(name, None)
    for name in sent.keys() & answered.keys():
        if properties(sent[name]) and properties(answered[name]):
            fields[name] = {"nested": privileged_fields(sent[name], answered[name])}
    return fields


# --- The injected values -----------------------------------------------------------------------------
@dataclass
class Injection:
    """The values injected for a caller: other organisations and another user are neither the caller's nor
    party to what it does."""

    world: World
    role: str
    acting: ActorClient

    @property
    def other_organization_id(self) -> str:
        assert self.world.other_buyer.organization is not None
        return str(self.world.other_buyer.organization.pk)

    @property
    def other_producer_id(self) -> str:
        other = self.world.other_producer.organization
        assert other is not None
        return str(self.world.coop.pk if self.acting.organization == other else other.pk)

    @property
    def other_user_id(self) -> str:
        assert self.world.other_buyer.user is not None
        return str(self.world.other_buyer.user.pk)

    def value(self, name: str, schema: dict[str, Any] | None, depth: int = 0) -> Any:
        if name in ("id", "pk"):
            return INJECTED_ID
        if name == "producer":
            return self.other_producer_id
        if name in ORGANIZATION_NAMES:
            return self.other_organization_id
        if name in USER_NAMES:
            return self.other_user_id
        if name == "side" or name == "opened_by":
            return "producer" if self.role.startswith("buyer") else "buyer"
        schema = resolve(schema) if schema else None
        if schema is None:
            if name in BY_NAME:
                return BY_NAME[name]
            return INJECTED_DATETIME if name.endswith("_at") else INJECTED_TEXT
        if "enum" in schema:
            choices = [choice for choice in schema["enum"] if choice not in (None, "")]
            return next((choice for choice in PREFERRED_CHOICES if choice in choices), choices[-1])
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            if depth >= 2:
                return {}
            return {key: self.value(key, sub, depth + 1) for key, sub in schema.get("properties", {}).items()}
        if kind == "array":
            item = self.value(name, schema.get("items"), depth + 1) if depth < 2 else INJECTED_TEXT
            return [item]
        if kind == "boolean":
            return True
        if kind in ("integer", "number"):
            return INJECTED_INT
        return {
            "date-time": INJECTED_DATETIME,
            "date": INJECTED_DATE,
            "uuid": INJECTED_ID,
            "email": INJECTED_EMAIL,
            "uri": "https://intruso.example/",
            "decimal": INJECTED_GRAMS,
        }.get(schema.get("format", ""), INJECTED_GRAMS if "pattern" in schema else INJECTED_TEXT)

    def body(self, fields: dict[str, Any], multipart: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, schema in fields.items():
            if isinstance(schema, dict) and "nested" in schema:
                continue  # merged into the valid body by `merged`
            value = self.value(name, schema)
            if multipart and isinstance(value, (dict, list)):
                continue  # a form carries text: nested values cannot be sent that way
            out[name] = value
        return out

    def merged(self, valid: dict[str, Any], fields: dict[str, Any], multipart: bool) -> dict[str, Any]:
        body = {**self.body(fields, multipart), **valid}
        for name, schema in fields.items():
            if isinstance(schema, dict) and "nested" in schema and isinstance(valid.get(name), dict):
                body[name] = self.merged(valid[name], schema["nested"], multipart)
        return body

    def unmistakable(self) -> list[str]:
        """What no row written by the valid body holds, as it appears in the repr of a stored value."""
        return [
            INJECTED_ID,
            INJECTED_TEXT,
            INJECTED_EMAIL,
            "intruso.example",
            str(INJECTED_INT),
            INJECTED_GRAMS,
            INJECTED_DATE,
            "2001, 2, 3",  # a stored date or datetime
            self.other_organization_id,
            self.other_producer_id,
            self.other_user_id,
            uuid.UUID(self.other_organization_id).hex,  # a UUID column stored without dashes
            uuid.UUID(self.other_producer_id).hex,
            uuid.UUID(self.other_user_id).hex,
        ]


# --- The valid bodies, and the state in which each role's call succeeds --------------------------------
def _terms(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "quantity_grams": "250.000",
        "fineness": "920.0",
        "price_basis": "lbma_pm",
        "lbma_adjustment_percent": "-1.50",
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "delivery_date": (clock.today_lima() + dt.timedelta(days=45)).isoformat(),
        "deposit_percent": "10",
        "origin_site": str(world.site.pk),
        # The settlement parts too, so that what they store is compared as well.
        "settlement": {
            "fixing_rule": "after_receipt",
            "gold_payable_percent": "99.5",
            "splitting_limit": "0.5",
            "umpire_laboratory": "SGS del Perú",
        },
        "charges": [{"label": "Refinación", "kind": "per_lot", "amount": {"amount_minor": 12000, "currency": "USD"}}],
        "shipments": [
            {
                "quantity_grams": quantity,
                "delivery_date": (clock.today_lima() + dt.timedelta(days=45)).isoformat(),
                "incoterm": "FCA",
                "incoterm_place": "Puerto Maldonado",
            }
            for quantity in ("100.000", "150.000")
        ],
        **overrides,
    }


def _new_inquiry(world: World) -> Inquiry:
    buyer_admin = world.actors["buyer_admin"].user
    return Inquiry.objects.create(
        buyer=world.buyer_org,
        producer=world.producer,
        listing=world.listing,
        opened_by="buyer",
        grams=Decimal("250"),
        created_by=buyer_admin,
    )


def _offered_with_a_new_inquiry(world: World, role: str) -> None:
    offer_the_listing(world)
    _new_inquiry(world)


def _invitation_token(world: World) -> str:
    token = "invitacion-para-privilegios-0001"
    Invitation.objects.filter(pk=world.invitation.pk).update(token_hash=hashlib.sha256(token.encode()).hexdigest())
    return token


def _pdf_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("documento.pdf", make_test_pdf("Documento"), content_type="application/pdf")


Body = Callable[[World, str], dict[str, Any]]
Prepare = Callable[[World, str], None]


@dataclass(frozen=True)
class Write:
    """A valid body for the operation (given the world and the role), and what to do to the world first so
    that it succeeds for that role. `roles`, when given, replaces the roles the matrix lets call it (and
    says why); `acting` names a client other than the role's own (the role stays what is checked)."""

    body: Body
    prepare: Prepare | None = None
    roles: tuple[str, ...] | None = None
    acting: Callable[[World, str], ActorClient] | None = None


def _set_producer(status: str) -> Prepare:
    def prepare(world: World, role: str) -> None:
        Producer.objects.filter(pk=world.producer.pk).update(verification_status=status)

    return prepare


def _consent_requested(world: World, role: str) -> None:
    PackConsent.objects.filter(pk=world.pack_consent.pk).update(status="requested", decided_by=None, decided_at=None)


def _new_officer(world: World, role: str) -> None:
    """A field officer of the world's support organisation without a delegation from coop yet."""
    support = world.delegation.support_organization
    MembershipFactory(organization=support, user=UserFactory(email="promotora@example.test"), role="member")


def _site_pending(world: World, role: str) -> None:
    Site.objects.filter(pk=world.site.pk).update(status=Site.Status.PENDING)


def _evidence_claimed(world: World, role: str) -> None:
    Evidence.objects.filter(pk=world.evidence.pk).update(
        status="in_review", claimed_by=world.actors[role].user, claimed_at=timezone.now()
    )


def _evidence_approved(world: World, role: str) -> None:
    Evidence.objects.filter(pk=world.evidence.pk).update(
        status="approved", decided_at=timezone.now(), valid_until=clock.today_lima() + dt.timedelta(days=300)
    )


def _kyc_ready(status: str) -> Prepare:
    def prepare(world: World, role: str) -> None:
        buyer_admin = world.actors["buyer_admin"].user
        assert buyer_admin is not None
        approve_every_requirement(world.buyer_org, ["buyer"], buyer_admin)
        Organization.objects.filter(pk=world.buyer_org.pk).update(kyc_status=status)

    return prepare


def _offered_and_verified(world: World, role: str) -> None:
    offer_the_listing(world)
    verify_buyer(world)


def _buyer_version_latest(world: World, role: str) -> None:
    """For the producer to accept, the latest version must be the buyer's."""
    _offered_and_verified(world, role)
    first = world.contract.versions.get()
    buyer_admin = world.actors["buyer_admin"].user
    ContractVersion.objects.create(
        **{
            field.name: getattr(first, field.name)
            for field in ContractVersion._meta.concrete_fields
            if field.name not in ("id", "number", "side", "proposed_by", "proposed_by_organization", "created_at")
        },
        number=2,
        side="buyer",
        proposed_by=buyer_admin,
        proposed_by_organization=world.buyer_org,
    )


def _contract_signed(world: World, role: str) -> None:
    offer_the_listing(world)
    version = world.contract.versions.get()
    Contract.objects.filter(pk=world.contract.pk).update(
        state="signed", signed_version=version, signed_at=timezone.now(), terms_hash="1" * 64
    )
    listing = world.listing
    listing.refresh_from_db()
    listing.available_grams -= version.quantity_grams
    listing.save(update_fields=["available_grams"])


def _signed_lot_unnamed(world: World, role: str) -> None:
    """Signed, and the world's lot not yet named for it: the producer names it."""
    _contract_signed(world, role)
    ContractLot.objects.filter(contract=world.contract).delete()


def _deposit_held(world: World, role: str) -> None:
    _contract_signed(world, role)
    Deposit.objects.filter(pk=world.deposit.pk).update(
        status="held", held_at=timezone.now(), provider_intent_id="pi_privileged"
    )


def _deposit_held_and_delivered(world: World, role: str) -> None:
    _deposit_held(world, role)
    Contract.objects.filter(pk=world.contract.pk).update(state="delivered", delivered_at=timezone.now())


def _paid_at_stripe(stripe: deposit_helpers.FakeStripe) -> None:
    """The PaymentIntent of a held deposit, as Stripe has it: a refund of it succeeds."""
    stripe.intents["pi_privileged"] = deposit_helpers.Intent(
        id="pi_privileged",
        status="succeeded",
        amount=100000,
        amount_received=100000,
        currency="usd",
        client_secret="pi_privileged_secret",
        metadata={},
    )


def _listing_body(world: World, role: str) -> dict[str, Any]:
    today = clock.today_lima()
    return {
        "sites": [str(world.site.pk)],
        "form": "dore",
        "quantity_grams": "400.000",
        "min_order_grams": "100.000",
        "fineness": "915.0",
        "fineness_basis": "xrf",
        "price_basis": "lbma_pm",
        "lbma_adjustment_percent": "-2.00",
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=30)).isoformat(),
        "title_es": "Doré de Huepetuhe",
    }


def _inquiry_body(world: World, role: str) -> dict[str, Any]:
    if role.startswith("buyer"):
        return {"listing": str(world.listing.pk), "message": "¿Tienen 250 g?", "grams": "250.000"}
    return {"sourcing_request": str(world.sourcing_request.pk), "message": "Tenemos 500 g.", "grams": "500.000"}


def _evidence_body(world: World, role: str) -> dict[str, Any]:
    evidence_type = BUYER_EVIDENCE_TYPE if role.startswith("buyer") else "TAX_RUC"
    return {
        "evidence_type": evidence_type,
        "issue_date": (clock.today_lima() - dt.timedelta(days=3)).isoformat(),
        "document_number": "DOC-2026-1",
        "files": [_pdf_upload()],
    }


def _seller_weighed(world: World, role: str) -> None:
    contract = settling_contract(world)
    Weighing.objects.create(
        contract=contract,
        shipment=1,
        party="seller",
        gross_grams=Decimal("301.250"),
        weighed_on=clock.today_lima(),
        recorded_by=world.coop_admin,
    )


def _seller_assayed(world: World, role: str) -> None:
    contract = settling_contract(world)
    AssayResult.objects.create(
        contract=contract,
        shipment=1,
        party="seller",
        au_per_mille=Decimal("921.4"),
        laboratory="Laboratorio Regional",
        assayed_on=clock.today_lima(),
        recorded_by=world.coop_admin,
    )


def _assay_body(party: str | None = None) -> dict[str, Any]:
    body = {
        "au_per_mille": "921.4",
        "ag_per_mille": "61.2",
        "laboratory": "Laboratorio Regional",
        "certificate_number": "LR-0412",
        "assayed_on": clock.today_lima().isoformat(),
    }
    return body if party is None else {"party": party, **body}


BUYER_EVIDENCE_TYPE = "KYC_COMPANY_REG"
REASON: Body = lambda world, role: {"reason": "Revisado con la documentación a la vista."}  # noqa: E731
ANYONE_BY_CREDENTIALS = ("anonymous",)  # sign-up, login and acceptance read no token: one caller is every caller

# fmt: off
WRITES: dict[tuple[str, str], Write] = {
    ("POST", SIGNUP): Write(
        lambda world, role: {
            "email": "nueva-compradora@example.test",
            "password": "Oro-limpio-2026-nueva",
            "full_name": "Ana Nueva",
            "organization": {"legal_name": "Nueva Refinadora SA", "country": "CH", "buyer_type": "refiner"},
        },
        roles=ANYONE_BY_CREDENTIALS,
    ),
    ("POST", LOGIN): Write(
        lambda world, role: {"email": world.coop_admin.email, "password": PASSWORD}, roles=ANYONE_BY_CREDENTIALS
    ),
    ("PATCH", ME): Write(lambda world, role: {"full_name": "Nombre Cambiado"}),
    ("PATCH", ORGANIZATION): Write(lambda world, role: {"website": "https://mujeresdeoro.example"}),
    ("PATCH", MEMBER): Write(lambda world, role: {"role": "admin"}),
    ("POST", INVITATIONS): Write(
        lambda world, role: {"email": "invitada@example.test", "role": "member"}
        if role != "reviewer"
        else {"email": "nueva-coop@example.test", "kind": "producer_organization", "legal_name": "Nueva Cooperativa"},
        roles=("buyer_admin", "producer_admin", "reviewer"),  # staff act for no organisation: nobody to invite to
    ),
    ("POST", "/api/v1/delegations/"): Write(
        lambda world, role: {"officer_email": "promotora@example.test", "scopes": ["sites"]}, prepare=_new_officer
    ),
    ("POST", INVITATION_ACCEPT): Write(
        lambda world, role: {
            "token": _invitation_token(world),
            "password": "Oro-limpio-2026-nueva",
            "full_name": "Eva Nueva",
        },
        roles=ANYONE_BY_CREDENTIALS,
    ),
    # coop has its profile already: the admin of a producer organisation without one creates it.
    ("POST", PRODUCERS): Write(
        lambda world, role: {"legal_kind": "association", "legal_category": "REINFO", "ruc": make_ruc("20"),
                             "district": "huepetuhe"},
        acting=lambda world, role: world.other_producer,
    ),
    ("PATCH", PRODUCER): Write(lambda world, role: {"description_es": "Cooperativa de mujeres mineras."}),
    ("POST", PRODUCER_VERIFY): Write(REASON, prepare=_set_producer("submitted")),
    ("POST", PRODUCER_REQUEST_CHANGES): Write(REASON, prepare=_set_producer("submitted")),
    ("POST", PRODUCER_REJECT): Write(REASON, prepare=_set_producer("submitted")),
    ("POST", PRODUCER_SUSPEND): Write(REASON),
    ("POST", PRODUCER_REINSTATE): Write(REASON, prepare=_set_producer("suspended")),
    ("POST", PRODUCER_REVOKE): Write(REASON),
    ("POST", SITES): Write(
        lambda world, role: {"name": "Playa Nueva", "concession_code": "010203999", "district": "huepetuhe",
                             "geometry": {"type": "Point", "coordinates": [-70.52, -12.97]}},
    ),
    ("PATCH", SITE): Write(lambda world, role: {"name": "Playa Renombrada"}, prepare=_site_pending),
    ("POST", SITE_APPROVE): Write(REASON, prepare=_site_pending),
    ("POST", SITE_REJECT): Write(REASON, prepare=_site_pending),
    ("POST", ROSTER): Write(
        lambda world, role: {"full_name": "Luz Mamani", "dni": "40000002", "birth_year": 1990, "sex": "female"}
    ),
    ("PATCH", MINER): Write(lambda world, role: {"full_name": "Rosa Quispe"}),
    ("POST", LISTINGS): Write(_listing_body),
    ("PATCH", LISTING): Write(lambda world, role: {"title_es": "Doré sin mercurio, 920"}),
    ("POST", LISTING_PHOTOS): Write(lambda world, role: {"files": [photo_upload()]}),
    ("POST", LISTING_REPRICE): Write(
        lambda world, role: {"price_basis": "fixed", "price_per_fine_gram": {"amount_minor": 8350, "currency": "USD"},
                             "premium_per_kg_fine_minor": 0, "premium_currency": "USD"},
        prepare=lambda world, role: offer_the_listing(world),
    ),
    ("POST", SOURCING_REQUESTS): Write(
        lambda world, role: {"title": "1 kg", "grams": "1000.000", "min_fineness": "900.0",
                             "delivery_from": clock.today_lima().isoformat(),
                             "delivery_until": (clock.today_lima() + dt.timedelta(days=60)).isoformat()}
    ),
    ("POST", EVIDENCE_LIST): Write(_evidence_body),
    ("POST", EVIDENCE_APPROVE): Write(lambda world, role: {"reason": "Conforme."}, prepare=_evidence_claimed),
    ("POST", EVIDENCE_REJECT): Write(REASON, prepare=_evidence_claimed),
    ("POST", EVIDENCE_REQUEST_CHANGES): Write(REASON, prepare=_evidence_claimed),
    ("POST", EVIDENCE_REVOKE): Write(REASON, prepare=_evidence_approved),
    ("POST", KYC_SUBMIT): Write(lambda world, role: {}, prepare=_kyc_ready("unverified")),
    ("POST", KYC_VERIFY): Write(lambda world, role: {}, prepare=_kyc_ready("submitted")),
    ("POST", KYC_REJECT): Write(REASON, prepare=_kyc_ready("submitted")),
    ("POST", INQUIRIES): Write(_inquiry_body, prepare=lambda world, role: offer_the_listing(world)),
    ("POST", INQUIRY_MESSAGES): Write(lambda world, role: {"body": "Sí, entregamos en mayo."}),
    ("POST", CONTRACTS): Write(
        lambda world, role: {**_terms(world), "inquiry": str(Inquiry.objects.exclude(pk=world.inquiry.pk).get().pk)},
        prepare=_offered_with_a_new_inquiry,
    ),
    ("POST", CONTRACT_PROPOSE): Write(lambda world, role: _terms(world)),
    ("POST", CONTRACT_ACCEPT): Write(
        lambda world, role: {"version": world.contract.versions.count()},
        prepare=lambda world, role: (_buyer_version_latest if role == "producer_admin" else _offered_and_verified)(
            world, role
        ),
    ),
    ("POST", CONTRACT_CANCEL): Write(REASON, prepare=_contract_signed),
    ("POST", DEPOSIT_REFUND): Write(lambda world, role: {"amount_minor": 2500}, prepare=_deposit_held),
    ("POST", DEPOSIT_RELEASE): Write(
        lambda world, role: {"payout_reference": "BCP-TRANSF-0001"}, prepare=_deposit_held_and_delivered
    ),
    ("POST", LOTS): Write(
        lambda world, role: lot_body(world.site, "100.000", code="L-0500"),
        prepare=lambda world, role: (declare_row(world.site, last_month(), "5000.000"), None)[1],
    ),
    ("POST", LOT_ASSAYS): Write(
        lambda world, role: {"laboratory": "Laboratorio Regional", "method": "fire_assay", "au_per_mille": "921.4",
                             "ag_per_mille": "61.2", "certificate_number": "LR-0413",
                             "assayed_on": clock.today_lima().isoformat(), "file": _pdf_upload()}
    ),
    ("POST", LOT_CUSTODY): Write(
        lambda world, role: {"kind": "sealed", "occurred_at": timezone.now().isoformat(), "seal_number": "004417"}
    ),
    ("POST", CONTRACT_LOTS): Write(lambda world, role: {"lots": [str(world.lot.pk)]}, prepare=_signed_lot_unnamed),
    ("POST", RED_FLAGS): Write(
        lambda world, role: {"subject_kind": "site", "site": str(world.site.pk), "category": "protected_area",
                             "severity": "medium", "facts": "Touches the buffer zone of the reserve."}
    ),
    ("POST", RED_FLAG_CLOSE): Write(REASON),
    ("POST", PACK_DECLINE): Write(REASON, prepare=_consent_requested),
    ("POST", PACK_REVOKE): Write(lambda world, role: {"reason": "La negociación terminó."}),
    ("POST", RED_FLAG_ANSWERS): Write(lambda world, role: {"text": "Outside the reserve: see the letter."}),
    ("POST", RED_FLAG_ATTACHMENTS): Write(lambda world, role: {"file": _pdf_upload()}),
    ("POST", WEIGHINGS): Write(
        lambda world, role: {"gross_grams": "301.250", "weighed_on": clock.today_lima().isoformat()}
    ),
    ("PUT", WEIGHING): Write(
        lambda world, role: {"gross_grams": "301.205", "weighed_on": clock.today_lima().isoformat()},
        prepare=_seller_weighed,
    ),
    ("POST", ASSAYS): Write(lambda world, role: _assay_body("seller" if role == "producer_admin" else "buyer")),
    ("PUT", ASSAY): Write(lambda world, role: {**_assay_body(), "au_per_mille": "921.1"}, prepare=_seller_assayed),
    ("POST", CONTRACT_PAYMENTS): Write(
        lambda world, role: {"kind": "provisional", "shipment": 1, "paid_on": clock.today_lima().isoformat(),
                             "amount": {"amount_minor": 2434320, "currency": "USD"},
                             "bank_reference": "UBS-CH-0114-7731", "note": "90 %"}
    ),
    ("POST", PRICE_FIXES): Write(
        lambda world, role: {"benchmark": "lbma_gold_am", "date": world.fix.date.isoformat(),
                             "usd_per_troy_ounce": "4112.450", "source": "LBMA, lbma.org.uk"}
    ),
    ("POST", FIX_CORRECT): Write(
        lambda world, role: {"usd_per_troy_ounce": "4119.800", "reason": "Typed from the wrong bulletin."}
    ),
    ("POST", PRICE_RATES): Write(
        lambda world, role: {"date": (world.rate.date - dt.timedelta(days=1)).isoformat(), "rate": "3.448750",
                             "source": "SBS"}
    ),
    ("POST", RATE_CORRECT): Write(lambda world, role: {"rate": "3.451200", "reason": "The SBS revised it."}),
    ("POST", CERTIFICATION_TERMS): Write(
        lambda world, role: {"claim": "fairmined",
                             "valid_from": (clock.today_lima() + dt.timedelta(days=30)).isoformat(),
                             "minimum_price_percent": "95.00", "premium_rule": "per_kg_fine",
                             "premium_per_kg_fine": {"amount_minor": 450000, "currency": "USD"},
                             "source": "Fairmined Standard, 2027 premium table", "source_date": "2026-11-15"}
    ),
    ("POST", "/api/v1/webhook-endpoints/"): Write(
        lambda world, role: {"url": "https://93.184.216.34/hooks", "event_types": ["deposit.state"],
                             "description": "ERP"}
    ),
    ("PATCH", WEBHOOK_ENDPOINT): Write(
        lambda world, role: {"url": "https://93.184.216.34/v2", "event_types": ["contract.accepted", "deposit.state"],
                             "description": "ERP v2"}
    ),
    ("POST", WEBHOOK_ROTATE): Write(lambda world, role: {"overlap_hours": 12}),
}
# fmt: on

# Write operations with a body that this test leaves to others, and why.
NOT_HERE: dict[tuple[str, str], str] = {
    ("POST", WEBHOOK): (
        "authenticated by Stripe's signature over the exact body, not by a token, and no field of the body is "
        "trusted: the event's id and type are recorded and the PaymentIntent is read again from Stripe. A token "
        "is neither needed nor read and an unsigned or altered body is 400 with nothing stored "
        "(tests/payments/test_webhook.py); the matrix sends it as every role (400)."
    ),
}


def roles_for(operation: tuple[str, str]) -> tuple[str, ...]:
    """Who may call it: the roles the matrix does not turn away (a 400 for `{}` or a 409 for the state of the
    matrix's world means the role is let through), unless the table says otherwise."""
    write = WRITES[operation]
    if write.roles is not None:
        return write.roles
    statuses = MATRIX[operation]
    return tuple(role for role, status in zip(ROLES, statuses, strict=True) if status < 300 or status in (400, 409))


def _cases() -> list[Any]:
    return [
        pytest.param(operation, role, id=f"{operation[0]} {operation[1]} as {role}")
        for operation in sorted(WRITES)
        for role in roles_for(operation)
    ]


# --- What the database holds -------------------------------------------------------------------------
def tracked_models() -> list[Any]:
    own = {
        "accounts",
        "audit",
        "notifications",
        "producers",
        "compliance",
        "provenance",
        "diligence",
        "listings",
        "trade",
        "payments",
        "settlement",
        "prices",
        "knox",
    }
    return [model for model in apps.get_models() if model._meta.app_label in own and not model._meta.proxy]


def database() -> dict[str, dict[Any, dict[str, Any]]]:
    return {
        model._meta.label: {
            row["pk"]: row for row in model.objects.values("pk", *[f.attname for f in model._meta.concrete_fields])
        }
        for model in tracked_models()
    }


def changes(
    before: dict[str, dict[Any, dict[str, Any]]], after: dict[str, dict[Any, dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """Per model, the rows created, changed (as they are now) or deleted (as they were)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for label in before.keys() | after.keys():
        old, new = before.get(label, {}), after.get(label, {})
        rows = [row for pk, row in new.items() if old.get(pk) != row]
        rows += [{**row, "__deleted__": True} for pk, row in old.items() if pk not in new]
        if rows:
            out[label] = rows
    return out


def columns(rows: dict[str, list[dict[str, Any]]]) -> dict[tuple[str, str], list[str]]:
    """(model, column) -> the sorted values of that column over the changed rows."""
    out: dict[tuple[str, str], list[str]] = {}
    for label, model_rows in rows.items():
        for name in {name for row in model_rows for name in row}:
            out[(label, name)] = sorted(repr(row.get(name)) for row in model_rows)
    return out


def send(actor: ActorClient, operation: tuple[str, str], url: str, body: dict[str, Any]) -> Any:
    call = getattr(actor.client, operation[0].lower())
    return call(url, body, format=body_format(operation))


# --- The tests ---------------------------------------------------------------------------------------
def test_every_write_operation_with_a_body_has_a_valid_body_here():
    with_a_body = write_operations_with_a_body()

    assert sorted(with_a_body - WRITES.keys() - NOT_HERE.keys()) == [], "add a valid body for these to WRITES"
    assert sorted((WRITES.keys() | NOT_HERE.keys()) - with_a_body) == [], "no such write operation with a body"
    assert not WRITES.keys() & NOT_HERE.keys()


def test_the_snapshot_has_no_valid_body_entry_without_a_case_here():
    cases = {entry(case.values[0], case.values[1], VALID_BODY) for case in _cases()}

    assert sorted({name for name in load_snapshot() if name.endswith(VALID_BODY)} - cases) == []


def test_the_privileged_fields_come_from_the_schema():
    # A field only the response has is privileged without being listed: the evidence's reviewer fields...
    fields = privileged_fields(request_schema(("POST", EVIDENCE_LIST)), response_schema(("POST", EVIDENCE_LIST)))
    assert {"claimed_by", "decided_by", "first_approved_by", "decision_reason", "valid_until"} <= fields.keys()
    # ...inside a nested object the request shares with the response...
    fields = privileged_fields(request_schema(("POST", SIGNUP)), response_schema(("POST", SIGNUP)))
    assert {"kyc_status", "kind", "id"} <= fields["organization"]["nested"].keys()
    # ...and what the request may set is never among them.
    fields = privileged_fields(request_schema(("PATCH", MEMBER)), response_schema(("PATCH", MEMBER)))
    assert "role" not in fields
    assert {"user", "id", "created_at"} <= fields.keys()


@pytest.mark.parametrize(("operation", "role"), _cases())
def test_privileged_fields_are_ignored_or_refused(operation, role, world, fake_stripe):
    write = WRITES[operation]
    _paid_at_stripe(fake_stripe)
    if write.prepare is not None:
        write.prepare(world, role)
    actor = write.acting(world, role) if write.acting else world.actors[role]
    url = home_url(operation[1], world, actor.user or world.coop_admin)
    valid = write.body(world, role)
    multipart = body_format(operation) == "multipart"
    injection = Injection(world, role, actor)
    fields = privileged_fields(request_schema(operation), response_schema(operation))
    injected = injection.merged(valid, fields, multipart)
    assert injected.keys() - valid.keys(), "nothing to inject"
    before = database()

    # What the valid body alone stores, twice, to tell the columns that change from call to call.
    baselines = []
    for _attempt in range(2):
        savepoint = transaction.savepoint()
        response = send(actor, operation, url, with_fresh_files(valid))
        assert 200 <= response.status_code < 300, (
            f"the valid body fails: {response.status_code} {response.content[:400]!r}"
        )
        baselines.append(columns(changes(before, database())))
        transaction.savepoint_rollback(savepoint)
    valid_status = response.status_code
    assert_keys_match_the_snapshot(entry(operation, role, VALID_BODY), response)
    volatile = {
        key for key in baselines[0].keys() | baselines[1].keys() if baselines[0].get(key) != baselines[1].get(key)
    }

    response = send(actor, operation, url, with_fresh_files(injected))

    stored = changes(before, database())
    if response.status_code == 400:
        assert response["Content-Type"] == "application/problem+json", response.content[:400]
        assert stored == {}, "refused, yet the database changed"
        return
    assert response.status_code == valid_status, f"{response.status_code} {response.content[:400]!r}"
    got, expected = columns(stored), baselines[0]
    differences = {
        key: (expected.get(key), got.get(key))
        for key in (got.keys() | expected.keys()) - volatile
        if expected.get(key) != got.get(key)
    }
    assert differences == {}, "the privileged fields changed what is stored: (model, column): (valid, injected)"
    found = [
        (label, name, value)
        for label, rows in stored.items()
        for row in rows
        for name, value in row.items()
        for mark in injection.unmistakable()
        if mark in repr(value)
    ]
    assert found == [], "an injected value was stored"
    answered = response.content.decode()
    assert [mark for mark in injection.unmistakable() if mark in answered] == [], "an injected value was answered"
