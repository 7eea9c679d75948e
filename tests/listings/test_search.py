"""Search of listings (issue 4, point 4): full text over titles and descriptions in Spanish and English,
blind to accents and case, ranked by relevance; on PostgreSQL through a GIN index, on SQLite a simpler
fallback with the same API."""

from __future__ import annotations

import importlib
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import connection, transaction

from accounts.models import Role
from compliance.models import Evidence
from compliance.standing import standings_refresh
from listings.models import Listing
from listings.selectors import listings_visible, search
from producers.models import Producer
from tests.contract.test_query_counts import add_member_miner, add_site, add_visible_listings, make_producer
from tests.factories import ListingFactory, MembershipFactory, member_of
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.postgres(
    reason="the full-text index, stemming and EXPLAIN exist on PostgreSQL only (CI runs the suite there too)",
)


@pytest.fixture
def producer() -> Producer:
    organization = MembershipFactory(role=Role.ADMIN).organization
    return make_producer(organization)


@pytest.fixture
def make(producer: Producer) -> Any:
    site = add_site(producer)

    def make(**texts: str) -> Listing:
        return ListingFactory(producer=producer, sites=[site], **texts)

    return make


def found(text: str) -> set[uuid.UUID]:
    return set(search(Listing.objects.all(), text).values_list("pk", flat=True))


def test_a_word_finds_it_whatever_the_case(make):
    listing = make(title_es="Oro sin Mercurio")
    make(title_es="Oro aluvial", description_es="Mesa vibratoria")

    assert found("mercurio") == found("MERCURIO") == found("Mercurio") == {listing.pk}


def test_accents_do_not_matter_either_way(make):
    plain = make(title_es="Doré", description_es="oro ecologico de Huepetuhe")
    accented = make(title_es="Doré", description_es="Oro ecológico de Madre de Dios")
    make(title_es="Oro aluvial", description_es="Sin mercurio")

    assert found("oro ecológico") == found("oro ecologico") == found("ORO ECOLÓGICO") == {plain.pk, accented.pk}
    assert found("Huepetuhé") == {plain.pk}


def test_spanish_letters_fold_in_both_directions(make):
    listing = make(title_es="Año de la minería", description_es="Pequeña minería artesanal")

    assert found("ano mineria pequena") == found("AÑO MINERÍA PEQUEÑA") == {listing.pk}


def test_english_text_is_searched_too(make):
    english = make(title_en="Doré bar", description_en="Mercury-free doré from women artisanal miners")
    make(title_es="Oro aluvial", description_es="Amalgamación con retorta")

    assert found("mercury-free doré") == found("mercury-free dore") == {english.pk}
    assert found("artisanal") == {english.pk}


@postgres_only
def test_words_are_stemmed_on_postgresql(make):
    spanish = make(title_es="Oro de una minera de Huepetuhe")
    english = make(title_en="Gold mined by women")

    assert found("mineras") == {spanish.pk}
    assert found("mining") == {english.pk}  # the English stem of "mined"


@postgres_only
def test_a_shared_stem_crosses_languages_on_postgresql(make):
    english = make(title_es="Doré", title_en="Mercury-free gold")

    assert found("mercurio") == {english.pk}  # Spanish "mercurio" and English "mercury" both stem to "mercuri"


@postgres_only
def test_websearch_syntax_on_postgresql(make):
    both = make(title_es="Oro sin mercurio", description_es="Fundición con bórax")
    make(title_es="Oro sin mercurio", description_es="Retorta")

    assert found('"sin mercurio" borax') == {both.pk}
    assert found("mercurio -borax") == found("mercurio") - {both.pk}


def test_nothing_matches_nothing(make):
    make(title_es="Oro sin mercurio", title_en="Mercury-free gold", description_es="Huepetuhe")

    assert found("platino") == set()
    assert found("oro platino") == set()  # every word must match


@pytest.mark.parametrize(
    "text",
    [
        "'); DROP TABLE listings_listing; --",
        "' OR 1=1 --",
        "&|!:*",
        "!!! & | ( ) <-> :* '",
        '"unbalanced',
        "%_\\",
        "a" * 500,
        "mercurio " * 60,  # many words
    ],
)
def test_odd_input_is_harmless(make, text):
    make(title_es="Doré", description_es="Oro aluvial")

    assert found(text) == set()
    assert Listing.objects.count() == 1


def test_empty_text_keeps_everything_and_still_annotates_relevance(make):
    listing = make(title_es="Oro sin mercurio")

    assert [(row.pk, row.relevance) for row in search(Listing.objects.all(), "   ")] == [(listing.pk, 0.0)]


def test_relevance_is_annotated_and_orders(make):
    in_title = make(title_es="Oro sin mercurio", description_es="De Huepetuhe")
    in_description = make(title_es="Doré de Huepetuhe", description_es="Procesado sin mercurio")

    rows = list(search(Listing.objects.all(), "mercurio").order_by("-relevance", "-created_at"))

    assert {row.pk for row in rows} == {in_title.pk, in_description.pk}
    assert all(isinstance(row.relevance, float) for row in rows)
    if connection.vendor == "postgresql":  # titles weigh more than descriptions
        assert [row.pk for row in rows] == [in_title.pk, in_description.pk]
        assert rows[0].relevance > rows[1].relevance > 0


def test_search_composes_with_other_filters_and_the_visibility_query(make):
    make(title_es="Oro sin mercurio", status="draft")

    assert search(Listing.objects.filter(status="published"), "mercurio").count() == 0
    assert search(Listing.objects.filter(status="draft"), "mercurio").count() == 1
    assert list(search(listings_visible(), "mercurio")) == []  # a draft is never visible


def test_through_the_api_as_the_producer(producer_admin):
    producer = make_producer(producer_admin.organization)
    site = add_site(producer)
    listings = []
    for texts in (
        {"title_es": "Doré sin mercurio", "description_es": "Oro ecológico de Huepetuhe"},
        {"title_es": "Pepitas de oro", "title_en": "Alluvial gold nuggets"},
        {"title_es": "Pepitas", "description_es": "Amalgamación con retorta"},
    ):
        listings.append(ListingFactory(producer=producer, sites=[site], **texts))

    def ids(query: str) -> list[str]:
        response = producer_admin.get(f"/api/v1/listings/?mine=true&{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("q=MERCURIO") == [str(listings[0].pk)]
    assert ids("q=oro+ecologico") == [str(listings[0].pk)]
    assert ids("q=ALLUVIAL") == [str(listings[1].pk)]
    assert ids("q=%27%29%3B+DROP+TABLE+x%3B+--") == []
    assert len(ids("q=")) == 3


@pytest.mark.parametrize(
    "query",
    [
        "fineness_min=99866",  # found by schemathesis: over 1000 per mille, it was a 500
        "fineness_max=-1",
        "fineness_min=900.05",  # finer than the tenth the database keeps
        "min_available_grams=0.0001",
        "min_available_grams=1e30",
    ],
)
def test_numeric_filters_outside_what_is_stored_are_a_400(anon, make, query):
    make(title_es="Doré sin mercurio")

    response = anon.get(f"/api/v1/listings/?{query}")

    assert_problem(response, 400, "validation_error")
    assert [error["field"] for error in response.json()["errors"]] == [query.split("=")[0]]


def test_numeric_filters_at_their_bounds_still_filter(anon, make):
    make(title_es="Doré sin mercurio")

    assert anon.get("/api/v1/listings/?fineness_min=0&fineness_max=1000&min_available_grams=0.001").status_code == 200


def test_the_schema_states_the_numeric_filters_as_decimals_with_their_bounds():
    """Found by schemathesis: the schema said integers without bounds, so 920.5 looked invalid and -1 valid; then a
    number, so 900.55 looked valid. A decimal string whose pattern holds the bounds and the places says it all."""
    schema = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi" / "schema.yaml").read_text())
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/listings/"]["get"]["parameters"]}

    for name, good, bad in [
        ("fineness_min", ["0", "920.5", "1000"], ["-1", "920.55", "1000.1"]),
        ("fineness_max", ["0", "920.5", "1000"], ["-1", "920.55", "1000.1"]),
        ("min_available_grams", ["0", "0.001", "1000000000"], ["-1", "0.0001", "1000000000.001"]),
    ]:
        assert (parameters[name]["type"], parameters[name]["format"]) == ("string", "decimal")
        assert all(re.search(parameters[name]["pattern"], value) for value in good), name
        assert not any(re.search(parameters[name]["pattern"], value) for value in bad), name


def test_a_fineness_with_a_tenth_filters(anon, make):
    make(title_es="Doré sin mercurio")

    assert anon.get("/api/v1/listings/?fineness_min=900.5").status_code == 200


# --- PostgreSQL: the index --------------------------------------------------------------------------


@postgres_only
def test_explain_shows_the_gin_index(producer):
    site = add_site(producer)
    creator = member_of(producer.organization)
    rows = [
        ListingFactory.build(producer=producer, created_by=creator, description_es=f"Oro aluvial del lote {i}")
        for i in range(2000)
    ]
    rows[7].title_es = "Oro sin Mercurio"
    Listing.objects.bulk_create(rows)
    Listing.sites.through.objects.bulk_create(
        [Listing.sites.through(listing_id=row.pk, site_id=site.pk) for row in rows[:10]]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE listings_listing")
        cursor.execute("SET LOCAL enable_seqscan = off")

    queryset = search(Listing.objects.all(), "mercurio").order_by("-relevance")
    plan = queryset.explain()

    assert "listing_search_document_idx" in plan, plan
    assert [row.pk for row in queryset] == [rows[7].pk]


@postgres_only
def test_the_index_is_the_one_documented():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'listing_search_document_idx'")
        (index,) = cursor.fetchone()
        cursor.execute(
            "SELECT generation_expression FROM information_schema.columns"
            " WHERE table_name = 'listings_listing' AND column_name = 'search_document'"
        )
        (definition,) = cursor.fetchone()
        cursor.execute("SELECT provolatile FROM pg_proc WHERE proname = 'oro_unaccent'")
        (volatility,) = cursor.fetchone()

    assert "USING gin (search_document)" in index
    assert "oro_unaccent" in definition
    assert "'spanish'" in definition
    assert "'english'" in definition
    assert volatility == "i"  # immutable, or it could not be indexed


@postgres_only
def test_the_migration_stops_with_the_sql_to_run_when_unaccent_may_not_be_created():
    migration = importlib.import_module("listings.migrations.0002_search")
    role = f"oro_search_limited_{uuid.uuid4().hex[:8]}"
    with transaction.atomic(), connection.cursor() as cursor:  # all undone by the test's rollback
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute("DROP EXTENSION unaccent")  # nothing depends on it by catalogue: the SQL body
        cursor.execute(f"SET LOCAL ROLE {role}")
        with pytest.raises(migration.UnaccentMissing) as refused:
            migration.ensure_unaccent(connection)
        cursor.execute("RESET ROLE")
        transaction.set_rollback(True)

    message = str(refused.value)
    assert "CREATE EXTENSION IF NOT EXISTS unaccent;" in message
    assert "superuser" in message
    assert "permission denied" in message
    assert migration.ensure_unaccent(connection) == "public"  # back as it was


def test_a_women_led_claim_follows_approved_evidence_never_the_roster():
    """Visibility reads the stored women-led verdict, which the engine computes from approved evidence: the
    member register counting more women than men, or an individual woman miner's identity document. The
    roster the producer edits changes nothing."""
    add_visible_listings(None, 2)  # one of a cooperative, one of an individual woman miner
    coop_listing = Listing.objects.get(producer__legal_kind="cooperative")
    miner_listing = Listing.objects.get(producer__legal_kind="individual")
    coop = coop_listing.producer

    def visible() -> set[uuid.UUID]:
        return set(listings_visible().values_list("pk", flat=True))

    assert set(coop_listing.claim_rows.values_list("claim_id", flat=True)) == {"women_led"}
    assert visible() == {coop_listing.pk, miner_listing.pk}
    for _ in range(3):
        add_member_miner(coop, "male")
        add_member_miner(miner_listing.producer, "male")
    assert visible() == {coop_listing.pk, miner_listing.pk}  # the roster is not evidence
    register = Evidence.objects.get(organization_id=coop.pk, evidence_type_id="ORG_MEMBERS")
    Evidence.objects.filter(pk=register.pk).update(attributes={"women": 2, "men": 2})
    standings_refresh(organization_ids=[coop.pk])
    assert visible() == {miner_listing.pk}  # half is not more than half
    Evidence.objects.filter(pk=register.pk).update(attributes={"women": 3, "men": 2})
    standings_refresh(organization_ids=[coop.pk])
    assert visible() == {coop_listing.pk, miner_listing.pk}
    Evidence.objects.filter(organization_id=miner_listing.producer_id, evidence_type_id="ID_DNI").update(
        status="revoked"
    )
    standings_refresh(organization_ids=[miner_listing.producer_id])
    assert visible() == {coop_listing.pk}  # her identity no longer backs it (nor the policy)
