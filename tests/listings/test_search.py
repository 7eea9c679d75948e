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

from compliance.models import Evidence
from compliance.standing import standings_refresh
from listings.models import Listing
from listings.search_index import producers_changed
from listings.selectors import entries_today, listings_visible, search, search_own
from producers.models import Producer
from tests.contract.test_query_counts import add_member_miner, add_site, add_visible_listings, make_producer
from tests.factories import ListingFactory, member_of
from tests.problems import assert_problem

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.postgres(
    reason="the full-text index, stemming and EXPLAIN exist on PostgreSQL only (CI runs the suite there too)",
)


@pytest.fixture
def producer() -> Producer:
    """A verified producer every requirement of its policy is met for, at one approved site."""
    add_visible_listings(None, 1)
    listing = Listing.objects.get()
    listing.delete()  # its own listing would match the searches below
    return listing.producer


@pytest.fixture
def make(producer: Producer) -> Any:
    site = producer.sites.get()

    def make(**texts: Any) -> Listing:
        return ListingFactory(producer=producer, sites=[site], **({"published": True} | texts))

    return make


def found(text: str) -> set[uuid.UUID]:
    return set(search(entries_today(), text).values_list("pk", flat=True))


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


def test_empty_text_keeps_everything_and_ranks_the_newest_first(make):
    older = make(title_es="Oro sin mercurio")
    newer = make(title_es="Doré")

    assert [row.pk for row in search(entries_today(), "   ").order_by("-relevance")] == [newer.pk, older.pk]


def test_a_title_hit_comes_before_a_hit_elsewhere_then_the_newest(make):
    """The order users rely on: a listing whose title matches the whole search first (in either language,
    accents folded), then those matching only in a description, the newest first within each."""
    in_title = make(title_es="Oro sin mercurio", description_es="De Huepetuhe")
    in_description = make(title_es="Doré de Huepetuhe", description_es="Procesado sin mercurio")
    in_english_title = make(title_es="Doré", title_en="Mercury-free gold")
    newest_in_description = make(title_es="Pepitas", description_es="Sin MERCURIO, ecológico")

    rows = list(search(entries_today(), "mercurio").order_by("-relevance"))

    expected_titles = [in_english_title.pk, in_title.pk] if connection.vendor == "postgresql" else [in_title.pk]
    expected = [*expected_titles, newest_in_description.pk, in_description.pk]
    if connection.vendor != "postgresql":  # no stems on SQLite: "Mercury-free" is not "mercurio"
        assert in_english_title.pk not in {row.pk for row in rows}
    assert [row.pk for row in rows] == expected
    assert all(isinstance(row.relevance, int) for row in rows)
    assert rows[0].relevance > rows[-1].relevance > 0
    assert [row.pk for row in search(entries_today(), "ECOLOGICO").order_by("-relevance")] == [newest_in_description.pk]
    accented = list(search(entries_today(), "Pepitas ecológico").order_by("-relevance"))
    assert [row.pk for row in accented] == [newest_in_description.pk]


def test_search_reads_only_what_is_visible(make):
    make(title_es="Oro sin mercurio", status="draft")
    visible = make(title_es="Doré sin mercurio")

    assert found("mercurio") == {visible.pk}  # a draft is never visible
    assert search_own(Listing.objects.filter(status="draft"), "mercurio").count() == 1  # its producer finds it


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
    site = producer.sites.get()
    creator = member_of(producer.organization)
    rows = [
        ListingFactory.build(
            producer=producer, created_by=creator, status="published", description_es=f"Oro aluvial del lote {i}"
        )
        for i in range(2000)
    ]
    rows[7].title_es = "Oro sin Mercurio"
    Listing.objects.bulk_create(rows)
    Listing.sites.through.objects.bulk_create(
        [Listing.sites.through(listing_id=row.pk, site_id=site.pk) for row in rows]
    )
    producers_changed(producer_ids=[producer.pk])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE listings_searchentry")
        cursor.execute("SET LOCAL enable_seqscan = off")

    queryset = search(entries_today(), "mercurio").order_by("-relevance")
    plan = queryset.explain()

    assert "search_entry_document_idx" in plan, plan
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


# --- Bad input: a clear problem or a valid page, never a 500 or a slow query ----------------------------------
ODD_QUERIES = [
    "q=" + "oro%20" * 1700,  # about 10 kB of query string
    "q=" + "a" * 10_000,
    "q=%22sin%20mercurio",  # an unbalanced quote
    "q=%22%22%22",
    "q=oro%20%26%20!(mercurio%20%7C%20plata)%20%3C-%3E%20%3A*",  # the operators of to_tsquery's own syntax
    "q=-oro%20-mercurio",  # only negations: websearch_to_tsquery's empty-ish query
    "q=%27%29%3B%20DROP%20TABLE%20listings_listing%3B%20--",
    "q=%E2%80%AE%F0%9F%92%A3",  # a direction override and an emoji
    "q=the%20and%20of",  # only stop words in English
    "q=oro&ordering=-relevance,indicative_price",
    "q=oro&district=huepetuhe&district=tambopata&claims=women_led,fairmined,,,",
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_searches_answer_a_page_quickly(anon, make, query):
    """On PostgreSQL the database refuses any statement over 2 seconds (`statement_timeout`) during the request:
    none gets near it, whatever the text."""
    make(title_es="Oro sin mercurio", description_es="Doré de Huepetuhe")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL statement_timeout = '2s'")
        response = anon.get(f"/api/v1/listings/?{query}")
        facets = anon.get(f"/api/v1/listings/facets/?{query}")

    assert response.status_code == 200, response.content[:500]
    assert isinstance(response.json()["results"], list)
    assert facets.status_code == 200, facets.content[:500]
    assert facets.json()["total"] == len(response.json()["results"])


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("page_size=0", "invalid_page_size"),
        ("page_size=101", "invalid_page_size"),
        ("page_size=-5", "invalid_page_size"),
        ("page_size=1e3", "invalid_page_size"),
        ("cursor=garbage", "invalid_cursor"),
        ("cursor=" + "A" * 5000, "invalid_cursor"),
        ("q=oro&cursor=eyJwIjoiMSJ9:1tbm:forged", "invalid_cursor"),
        ("ordering=relevance;DROP", "validation_error"),
        ("district=atlantis", "validation_error"),
        ("form=platinum", "validation_error"),
        ("fineness_min=abc", "validation_error"),
        ("q=oro%00", "validation_error"),  # a NUL character: PostgreSQL's text cannot hold it
    ],
)
def test_bad_search_parameters_are_a_clear_problem(anon, make, query, code):
    make(title_es="Oro sin mercurio")

    assert_problem(anon.get(f"/api/v1/listings/?{query}"), 400, code)


def test_every_page_of_a_search_is_reached_by_its_cursor(anon, make):
    """The cursor walks a search in relevance order, title hits first, with no row twice or missed."""
    made = [make(title_es=f"Oro {n}" if n % 3 else f"Doré {n}", description_es="oro aluvial") for n in range(7)]

    seen, url = [], "/api/v1/listings/?q=oro&page_size=2"
    while url:
        body = anon.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]

    in_title = [str(x.pk) for x in reversed(made) if x.title_es.startswith("Oro")]
    elsewhere = [str(x.pk) for x in reversed(made) if not x.title_es.startswith("Oro")]
    assert seen == in_title + elsewhere
