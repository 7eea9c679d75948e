"""Query parameters the API cannot read are refused with a field error, never silently ignored."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import OrderingFilter

from core.filters import StrictFilterSet, StrictOrderingFilter
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db

LISTING_ORDERINGS = (
    "relevance, -relevance, created_at, -created_at, fineness, -fineness, available_grams, -available_grams, "
    "indicative_price, -indicative_price, price_per_fine_gram_minor, -price_per_fine_gram_minor, valid_until, "
    "-valid_until"
)


def _views():
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "cls"):
                yield pattern.callback.cls

    return set(walk(get_resolver().url_patterns))


def test_every_filterset_of_the_api_is_strict():
    filtersets = {view.filterset_class for view in _views() if getattr(view, "filterset_class", None)}

    assert filtersets, "no filtersets found"
    assert [fs.__name__ for fs in filtersets if not issubclass(fs, StrictFilterSet)] == []


def test_every_ordered_list_refuses_unknown_orderings():
    ordered = [
        view for view in _views() if any(issubclass(b, OrderingFilter) for b in getattr(view, "filter_backends", ()))
    ]

    assert {view.__name__ for view in ordered} == {"ListingViewSet", "EvidenceViewSet", "SiteReviewViewSet"}
    assert all(
        issubclass(backend, StrictOrderingFilter)
        for view in ordered
        for backend in view.filter_backends
        if issubclass(backend, OrderingFilter)
    )
    assert all(any(issubclass(b, DjangoFilterBackend) for b in view.filter_backends) for view in ordered)


@pytest.mark.parametrize("value", ["banana", "2", "yes", "nope"])
def test_a_boolean_filter_refuses_garbage(anon, value):
    response = anon.get(f"/api/v1/producers/?women_led={value}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"] == [{"field": "women_led", "code": "invalid", "message": "Use true or false."}]


def test_the_boolean_error_is_in_spanish_when_asked(anon):
    response = anon.get("/api/v1/producers/?women_led=banana", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "women_led", "code": "invalid", "message": "Use true o false."}]


@pytest.mark.parametrize("value", ["true", "false", "1", "0", "TRUE"])
def test_a_boolean_filter_reads_true_false_one_zero(anon, value):
    assert anon.get(f"/api/v1/producers/?women_led={value}").status_code == 200


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/producers/?women_led=", "women_led"),
        ("/api/v1/listings/?fineness_min=", "fineness_min"),
        ("/api/v1/listings/?form=", "form"),
        ("/api/v1/listings/?form=dore&form=", "form"),
        ("/api/v1/listings/?producer=", "producer"),
        ("/api/v1/audit-events/?until=", "until"),
        ("/api/v1/listings/?mine=", "mine"),
        ("/api/v1/listings/?producer=%20", "producer"),  # only whitespace: the field strips it to ""
        ("/api/v1/lots/?site=%1F", "site"),  # a control character Python counts as whitespace (Schemathesis)
    ],
)
def test_a_parameter_given_without_a_value_is_refused_not_read_as_absent(staff, url, field):
    """The schema says what a date, a number, an id, a choice or a boolean looks like, and "" is none of them: a
    client that sends `?until=` has lost a value on the way, and answering as if it had asked nothing misleads it."""
    response = staff.client.get(url)

    assert_problem(response, 400, "validation_error")
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_free_text_may_be_empty(anon):
    assert anon.get("/api/v1/listings/?q=").status_code == 200


@pytest.mark.parametrize("value", ["1e3", " 900", "0900", "900.55", "-1", "1000.1"])
def test_a_decimal_filter_takes_the_written_form_of_the_schema_only(anon, value):
    response = anon.get("/api/v1/listings/", {"fineness_min": value})

    assert_problem(response, 400, "validation_error")
    assert [error["field"] for error in response.json()["errors"]] == ["fineness_min"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/notifications/?unread=2", "unread"),
        ("/api/v1/evidence/?unclaimed=maybe", "unclaimed"),
        ("/api/v1/evidence/?expiring_soon=soon", "expiring_soon"),
        ("/api/v1/listings/?mine=banana", "mine"),
    ],
)
def test_every_boolean_query_parameter_refuses_garbage(producer_admin, url, field):
    response = producer_admin.client.get(url)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": field, "code": "invalid", "message": "Use true or false."}]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/producers/?legal_kind=banana", "legal_kind"),
        ("/api/v1/listings/?form=banana", "form"),
        ("/api/v1/contracts/?state=banana", "state"),
        ("/api/v1/inquiries/?state=banana", "state"),
        ("/api/v1/organizations/?kind=banana", "kind"),
        ("/api/v1/evidence/?status=banana", "status"),
    ],
)
def test_a_choice_filter_refuses_a_value_outside_its_choices(producer_admin, url, field):
    response = producer_admin.client.get(url)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (field, "invalid_choice")


def test_an_unknown_ordering_is_refused_with_the_allowed_values(anon):
    response = anon.get("/api/v1/listings/?ordering=password")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "field": "ordering",
            "code": "invalid_choice",
            "message": f"Unknown ordering: password. Use one of: {LISTING_ORDERINGS}.",
        }
    ]


def test_one_unknown_term_among_known_ones_is_refused_in_spanish(anon):
    response = anon.get("/api/v1/listings/?ordering=-fineness,organization__password", HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "ordering",
            "code": "invalid_choice",
            "message": f"Orden desconocido: organization__password. Use uno de: {LISTING_ORDERINGS}.",
        }
    ]


def test_the_evidence_queue_refuses_an_unknown_ordering(reviewer):
    response = reviewer.client.get("/api/v1/evidence/?ordering=claimed_by")

    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert message == "Unknown ordering: claimed_by. Use one of: created_at, -created_at."


@pytest.mark.parametrize("ordering", ["-fineness", "valid_until,-created_at"])
def test_allowed_orderings_answer(anon, ordering):
    assert anon.get(f"/api/v1/listings/?ordering={ordering}").status_code == 200


def test_the_schema_lists_the_allowed_orderings():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    [parameter] = [p for p in schema["paths"]["/api/v1/evidence/"]["get"]["parameters"] if p["name"] == "ordering"]

    assert parameter["schema"] == {
        "type": "array",
        "minItems": 1,
        "items": {"type": "string", "enum": ["created_at", "-created_at"]},
    }
    assert (parameter["style"], parameter["explode"]) == ("form", False)


@pytest.mark.parametrize("value", ["", ",", "-fineness,", " fineness"])
def test_an_empty_or_padded_ordering_term_is_refused(anon, value):
    response = anon.get("/api/v1/listings/", {"ordering": value})

    assert_problem(response, 400, "validation_error")
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("ordering", "invalid_choice")]
