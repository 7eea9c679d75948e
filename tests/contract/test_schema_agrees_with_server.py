"""Where the schema and the server used to disagree (a generated client then breaks), they now say the same."""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from accounts.models import Membership, Role, User
from audit.models import AuditEvent
from core import serializers as strict
from core.idempotency import _VALID_KEY
from tests.conftest import make_client
from tests.producers.factories import ProducerFactory, SiteFactory

APPS = (
    "accounts",
    "producers",
    "compliance",
    "provenance",
    "diligence",
    "listings",
    "trade",
    "payments",
    "notifications",
    "audit",
)
LENIENT_TEXT_FIELDS = (
    serializers.CharField,
    serializers.EmailField,
    serializers.URLField,
    serializers.SlugField,
    serializers.RegexField,
    serializers.DecimalField,  # a decimal is text too: "480.000" (core.decimals)
)
STRICT_TEXT_FIELDS = (
    strict.CharField,
    strict.EmailField,
    strict.URLField,
    strict.SlugField,
    strict.RegexField,
    strict.DecimalField,
)


@functools.cache
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def request_schema(method: str, path: str) -> dict[str, Any]:
    ref = schema()["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema()["components"]["schemas"][ref.rsplit("/", 1)[1]]


def parameter(method: str, path: str, name: str) -> dict[str, Any]:
    return next(p for p in schema()["paths"][path][method]["parameters"] if p["name"] == name)


# --- reasons the server requires --------------------------------------------------------------------
P = "/api/v1/producers/{id}/"
REASON_REQUIRED = [
    P + "request-changes/",
    P + "reject/",
    P + "suspend/",
    P + "revoke/",
    "/api/v1/producers/{producer_pk}/sites/{id}/reject/",
    "/api/v1/organizations/{organization_pk}/kyc/reject/",
    "/api/v1/evidence/{id}/reject/",
    "/api/v1/evidence/{id}/request-changes/",
    "/api/v1/evidence/{id}/revoke/",
]
REASON_OPTIONAL = [
    P + "verify/",
    P + "reinstate/",
    "/api/v1/producers/{producer_pk}/sites/{id}/approve/",
    "/api/v1/organizations/{organization_pk}/kyc/submit/",
    "/api/v1/organizations/{organization_pk}/kyc/verify/",
]


@pytest.mark.parametrize("path", REASON_REQUIRED)
def test_the_schema_requires_the_reason_the_server_requires(path):
    body = request_schema("post", path)

    assert "reason" in body.get("required", [])
    assert body["properties"]["reason"]["minLength"] == 1


@pytest.mark.parametrize("path", REASON_OPTIONAL)
def test_the_reason_stays_optional_where_the_server_does_not_need_it(path):
    assert "reason" not in request_schema("post", path).get("required", [])


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}], ids=["missing", "empty", "blank"])
def test_a_missing_reason_gets_the_error_it_always_got(reviewer, coop, body):
    producer = ProducerFactory(organization=coop, verification_status="verified")
    SiteFactory(producer=producer)
    in_spanish = make_client(reviewer.user, reviewer.organization, language="es")

    english = reviewer.post(f"/api/v1/producers/{producer.pk}/suspend/", body, format="json")
    spanish = in_spanish.post(f"/api/v1/producers/{producer.pk}/suspend/", body, format="json")

    assert english.status_code == spanish.status_code == 400
    assert english.json()["code"] == "validation_error"
    assert english.json()["errors"] == [
        {"field": "reason", "code": "required", "message": "Give the reason: the producer will read it."}
    ]
    assert spanish.json()["errors"] == [
        {"field": "reason", "code": "required", "message": "Indique el motivo: la productora lo leerá."}
    ]
    producer.refresh_from_db()
    assert producer.verification_status == "verified"


@pytest.mark.django_db
def test_a_kyc_rejection_without_a_reason_says_the_buyer_reads_it(reviewer, buyer_org):
    response = reviewer.post(f"/api/v1/organizations/{buyer_org.pk}/kyc/reject/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "reason", "code": "required", "message": "Give the reason: the buyer will read it."}
    ]


# --- an empty member PATCH ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_empty_member_patch_is_a_no_op(producer_admin, producer_member, coop):
    membership = Membership.objects.get(user=producer_member.user, organization=coop)
    events = AuditEvent.objects.count()

    response = producer_admin.patch(f"/api/v1/organizations/{coop.pk}/members/{membership.pk}/", {}, format="json")

    assert response.status_code == 200
    assert response.json()["role"] == Role.MEMBER
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER
    assert AuditEvent.objects.count() == events
    assert "required" not in request_schema("patch", "/api/v1/organizations/{organization_pk}/members/{id}/")


@pytest.mark.django_db
def test_a_member_patch_with_a_role_still_changes_it(producer_admin, producer_member, coop):
    membership = Membership.objects.get(user=producer_member.user, organization=coop)

    response = producer_admin.patch(
        f"/api/v1/organizations/{coop.pk}/members/{membership.pk}/", {"role": "admin"}, format="json"
    )

    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


# --- strings are strings -----------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("value", [12345, 1.5, True, ["Ana"], {"name": "Ana"}], ids=str)
def test_a_string_field_refuses_a_value_of_another_type(buyer, value):
    before = User.objects.get(pk=buyer.user.pk).full_name

    response = buyer.patch("/api/v1/me/", {"full_name": value}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "full_name", "code": "invalid", "message": "Send this value as a string."}
    ]
    assert User.objects.get(pk=buyer.user.pk).full_name == before


@pytest.mark.django_db
def test_the_type_error_is_in_spanish_when_asked(buyer):
    in_spanish = make_client(buyer.user, buyer.organization, language="es")

    response = in_spanish.patch("/api/v1/me/", {"full_name": 12345}, format="json")

    assert response.json()["errors"] == [
        {"field": "full_name", "code": "invalid", "message": "Envíe este valor como texto."}
    ]


@pytest.mark.django_db
def test_a_string_is_still_taken(buyer):
    response = buyer.patch("/api/v1/me/", {"full_name": "12345"}, format="json")

    assert response.status_code == 200
    assert response.json()["full_name"] == "12345"


def _serializer_classes() -> list[type[serializers.Serializer]]:
    found = []
    for app in APPS:
        module = importlib.import_module(f"{app}.api.serializers")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, serializers.Serializer)
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


def _writable_text_fields(serializer: serializers.Serializer, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        child = getattr(field, "child", None)
        for candidate in (field, child):
            if isinstance(candidate, serializers.Serializer):
                found += _writable_text_fields(candidate, f"{prefix}{name}.")
            elif isinstance(candidate, LENIENT_TEXT_FIELDS):
                found.append((f"{prefix}{name}", candidate))
    return found


def test_every_writable_text_field_of_the_api_is_strict():
    lenient = []
    checked = 0
    for cls in _serializer_classes():
        try:
            instance = cls()
        except TypeError:  # needs arguments: built by the views only
            continue
        for name, field in _writable_text_fields(instance):
            checked += 1
            if not isinstance(field, STRICT_TEXT_FIELDS):
                lenient.append(f"{cls.__name__}.{name}")

    assert checked > 40
    assert lenient == []


# --- parameters and formats --------------------------------------------------------------------------
def test_page_size_bounds_are_in_the_schema():
    assert parameter("get", "/api/v1/listings/", "page_size")["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
    }


def test_the_organization_header_is_a_uuid():
    header = parameter("get", "/api/v1/organizations/", "X-Organization")

    assert header["in"] == "header"
    assert header["schema"] == {"type": "string", "format": "uuid"}


@pytest.mark.parametrize("path", ["/api/v1/auth/signup/", "/api/v1/contracts/", "/api/v1/invitations/"])
def test_the_idempotency_key_format_is_in_the_schema_and_is_the_servers(path):
    header = parameter("post", path, "Idempotency-Key")["schema"]

    assert (header["minLength"], header["maxLength"]) == (1, 255)
    assert header["pattern"] == _VALID_KEY.pattern
    for key, accepted in [("a", True), ("x" * 255, True), ("x" * 256, False), ("has space", False), ("ñ", False)]:
        assert bool(re.fullmatch(header["pattern"].strip("^$"), key)) is accepted
        assert bool(_VALID_KEY.fullmatch(key)) is accepted


@pytest.mark.parametrize("value", ["", "-", ".", "-.5"])
def test_a_decimal_pattern_refuses_what_is_not_a_number(value):
    grams = schema()["components"]["schemas"]["ListingInputRequest"]["properties"]["quantity_grams"]

    assert not re.search(grams["pattern"], value)


def test_a_decimal_pattern_takes_what_the_server_writes():
    grams = schema()["components"]["schemas"]["ListingInputRequest"]["properties"]["quantity_grams"]

    assert all(re.search(grams["pattern"], value) for value in ("500.000", "1", "0.5", "0.001", "1000000000.000"))
    # Out of bounds (nothing, more than a tonne), too precise, or not written as the server writes numbers.
    for value in ("0", "0.000", "1000000000.001", "1.0005", "-1", "0500", "1e3", " 1"):
        assert not re.search(grams["pattern"], value), value


# --- text that is only spaces ------------------------------------------------------------------------
@pytest.mark.parametrize("value", [" ", "\u001e", "\t\n", "\x85"])
def test_text_of_spaces_alone_is_blank_to_the_server_and_to_the_schema(anon, value):
    """The server trims text before checking it is not blank; the schema's pattern says the same, so a client
    generated from it never sends a name the server reads as empty."""
    pattern = request_schema("post", "/api/v1/auth/signup/")["properties"]["full_name"]["pattern"]
    body = {"email": "ana@example.org", "password": "a long enough secret 42", "full_name": value}

    response = anon.post("/api/v1/auth/signup/", body, format="json")

    assert not re.search(pattern, value)
    assert response.status_code == 400
    assert {"field": "full_name", "code": "blank"} in [
        {k: e[k] for k in ("field", "code")} for e in response.json()["errors"]
    ]
    assert re.search(pattern, "Ana")


def test_an_uploaded_file_must_have_content_in_the_schema_too():
    ref = schema()["paths"]["/api/v1/evidence/"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    files = schema()["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]["properties"]["files"]

    assert files["items"]["minLength"] == 1
