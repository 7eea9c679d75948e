"""The yardstick: the public listing search written by hand, with no ORM, no DRF and no serializer.

`GET /bench/minimal/?q=mercurio&fineness_min=900&form=dore[&page_size=20]` answers the same rows, in the
same order, with the same fields as `GET /api/v1/listings/` with the same filters, so that wrk can compare
the two. Two round trips to PostgreSQL per request, both through a plain psycopg cursor:

1. the compliance catalogue (the policies in force today, the evidence types of each requirement, the
   claims, what they require and imply), in one query, because visibility is data-driven and a policy may
   change between two requests (the API reads the same catalogue on every request too);
2. the page: the same visibility as `listings.visibility.visible_listings`, with the same structure as the
   SQL Django generates for it (as of commit 44187fd, "judge compliance once per organisation": the
   producer must be among the organisations that one grouped pass over today's valid evidence finds with a
   valid item for every requirement, one HAVING flag per requirement; a listing making a claim must belong
   to a producer holding it, or a claim implying it), the same filters,
   the same full-text expression as the `listing_search_idx` GIN index, ordered as the API orders a search
   (`ts_rank` of the same document and query, best first, then the newest first; without `q` every rank is
   0 and only `created_at DESC` counts), one row more than the page to know whether a next page exists;
   sites, claims and photo positions as arrays in the same row.

Then the fields are formatted as the API formats them (grams as strings with three decimals, fineness with
one, fine grams, troy ounces, karat, money as `{amount_minor, currency}`, datetimes in America/Lima) and
written with the standard library's `json`.

It supports only what the benchmark sends: `q`, `form` (repeatable or comma-separated), `fineness_min`,
`page_size`; a `next` link (an unsigned position) when there is a next page. It is not an API.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

LIMA = ZoneInfo("America/Lima")
FORMS = ("dore", "nugget", "flake_dust", "gravity_concentrate")
GRAM = Decimal("0.001")
TENTH = Decimal("0.1")
OUNCE = Decimal("0.0001")
HUNDREDTH = Decimal("0.01")
GRAMS_PER_TROY_OUNCE = Decimal("31.1034768")

CATALOGUE_SQL = """
WITH policy AS (
    SELECT DISTINCT ON (subject) id, subject FROM compliance_policy
    WHERE subject IN ('individual', 'organization') AND effective_from <= %(today)s
    ORDER BY subject, effective_from DESC
)
SELECT 'policy', policy.subject, link.requirement_id
    FROM policy JOIN compliance_policy_requirements link ON link.policy_id = policy.id
UNION ALL SELECT 'type', requirement_id, evidencetype_id FROM compliance_requirement_evidence_types
UNION ALL SELECT 'claim', code, rule FROM compliance_claim
UNION ALL SELECT 'claim_requirement', claim_id, requirement_id FROM compliance_claim_requirements
UNION ALL SELECT 'implies', from_claim_id, to_claim_id FROM compliance_claim_implies
"""

# Mirrors listings/selectors.py and the index of listings/migrations/0002_search.py, character for character.
DOCUMENT = (
    "(setweight(to_tsvector('spanish'::regconfig, oro_unaccent(COALESCE(l.title_es, ''))), 'A')"
    " || setweight(to_tsvector('spanish'::regconfig, oro_unaccent(COALESCE(l.description_es, ''))), 'D')"
    " || setweight(to_tsvector('english'::regconfig, oro_unaccent(COALESCE(l.title_en, ''))), 'A')"
    " || setweight(to_tsvector('english'::regconfig, oro_unaccent(COALESCE(l.description_en, ''))), 'D'))"
)
TSQUERY = (
    "(websearch_to_tsquery('spanish'::regconfig, oro_unaccent(%(q)s))"
    " || websearch_to_tsquery('english'::regconfig, oro_unaccent(%(q)s)))"
)
RANK = f"ts_rank({DOCUMENT}, {TSQUERY})"

SELECT = """
SELECT l.id, l.producer_id, o.legal_name, p.district,
    ARRAY(SELECT ls.site_id FROM listings_listing_sites ls JOIN producers_site s ON s.id = ls.site_id
          WHERE ls.listing_id = l.id ORDER BY s.created_at, s.id) AS sites,
    ARRAY(SELECT c.claim_id FROM listings_listingclaim c WHERE c.listing_id = l.id ORDER BY c.claim_id) AS claims,
    ARRAY(SELECT ph.position FROM listings_listingphoto ph WHERE ph.listing_id = l.id ORDER BY ph.position) AS photos,
    l.form, l.quantity_grams, l.available_grams, l.min_order_grams, l.fineness, l.fineness_basis,
    l.processing_methods, l.price_basis, l.currency, l.price_per_fine_gram_minor, l.lbma_adjustment_bp,
    l.premium_per_kg_fine_minor, l.incoterm, l.incoterm_place, l.valid_from, l.valid_until,
    l.title_es, l.title_en, l.description_es, l.description_en, l.status, l.close_reason,
    l.published_at, l.created_at, l.updated_at, {rank} AS relevance
FROM listings_listing l
JOIN producers_producer p ON p.organization_id = l.producer_id
JOIN accounts_organization o ON o.id = p.organization_id
WHERE {where}
ORDER BY relevance DESC, l.created_at DESC
LIMIT %(limit)s
"""


def _literal(value: str) -> str:
    """A catalogue code as an SQL literal (codes are data: quote them rather than trust them)."""
    return "'" + value.replace("'", "''") + "'"


def _in_list(values: list[str]) -> str:
    return ", ".join(_literal(v) for v in sorted(values))


class Catalogue:
    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self.policy: dict[str, list[str]] = {"individual": [], "organization": []}
        self.types: dict[str, list[str]] = {}
        self.claims: dict[str, str] = {}
        self.claim_requirements: dict[str, list[str]] = {}
        self.implies: dict[str, list[str]] = {}
        for kind, a, b in rows:
            if kind == "policy":
                self.policy[a].append(b)
            elif kind == "type":
                self.types.setdefault(a, []).append(b)
            elif kind == "claim":
                self.claims[a] = b
            elif kind == "claim_requirement":
                self.claim_requirements.setdefault(a, []).append(b)
            else:
                self.implies.setdefault(a, []).append(b)


def _organizations_meeting(catalogue: Catalogue, codes: list[str], *, ecological: bool = False) -> str:
    """As `compliance.selectors.organizations_meeting`: one pass over today's valid evidence, grouped by
    organisation, one HAVING flag per requirement."""
    flags = " AND ".join(
        f"MAX(CASE WHEN e.evidence_type_id IN ({_in_list(catalogue.types.get(code, []))}) THEN 1 ELSE 0 END) = 1"
        for code in codes
    )
    flagged = " AND (e.attributes -> 'ecological') = 'true'::jsonb" if ecological else ""
    return (
        "SELECT e.organization_id FROM compliance_evidence e"  # noqa: S608 - codes quoted by _literal
        f" WHERE e.status = 'approved' AND e.valid_until >= %(today)s{flagged} GROUP BY 1 HAVING {flags}"
    )


WOMEN_LED_ROSTER = (
    "SELECT m.producer_id FROM producers_memberminer m WHERE m.active GROUP BY 1"
    " HAVING COUNT(m.id) > 0 AND COUNT(m.id) < 2 * COUNT(m.id) FILTER (WHERE m.sex = 'female')"
)


def _producers_holding(catalogue: Catalogue, claim: str) -> str:
    """As `compliance.selectors.producers_holding([claim])`, on the producer `p2`: the claim's own rule, or
    that of any claim implying it."""
    backers = [claim, *sorted(c for c, implied in catalogue.implies.items() if claim in implied)]
    either = []
    for backer in backers:
        codes = sorted(catalogue.claim_requirements.get(backer, []))
        if catalogue.claims.get(backer) == "women_led":
            either.append("(p2.legal_kind = 'individual' AND p2.holder_sex = 'female')")
            either.append(f"p2.organization_id IN ({WOMEN_LED_ROSTER})")
        elif codes:
            ecological = catalogue.claims.get(backer) == "ecological_flag"
            either.append(f"p2.organization_id IN ({_organizations_meeting(catalogue, codes, ecological=ecological)})")
    return " OR ".join(either) or "FALSE"


def visibility_sql(catalogue: Catalogue) -> str:
    """The WHERE clause of `listings.visibility.visible_listings`, for the listing `l` of producer `p`:
    compliance judged once per organisation (a grouped pass over the evidence), listings asking whether
    their producer is in that set."""
    individual, organization = catalogue.policy["individual"], catalogue.policy["organization"]

    def meets(codes: list[str]) -> str:
        return f"l.producer_id IN ({_organizations_meeting(catalogue, sorted(codes))})" if codes else "TRUE"

    parts = [
        "l.status = 'published'",
        "l.available_grams > 0",
        "l.valid_from <= %(today)s",
        "l.valid_until >= %(today)s",
        "p.verification_status = 'verified'",
        f"((p.legal_kind = 'individual' AND {meets(individual)})"
        f" OR (p.legal_kind <> 'individual' AND {meets(organization)}))",
    ]
    for claim in sorted(catalogue.claims):
        makes = (
            "l.id IN (SELECT lc.listing_id FROM listings_listingclaim lc"  # noqa: S608 - the code quoted
            f" WHERE lc.claim_id = {_literal(claim)})"
        )
        backed = (
            "l.producer_id IN (SELECT p2.organization_id FROM producers_producer p2"  # noqa: S608 - quoted codes
            f" WHERE {_producers_holding(catalogue, claim)})"
        )
        parts.append(f"(NOT {makes} OR {backed})")
    return "\n  AND ".join(parts)


def _grams(milligrams: int) -> Decimal:
    return Decimal(milligrams).scaleb(-3)


def _money(amount: int | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else {"amount_minor": amount, "currency": currency}


def _datetime(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(LIMA).isoformat()


def _row(row: tuple[Any, ...]) -> dict[str, Any]:
    (id_, producer, legal_name, district, sites, claims, photos, form, quantity, available, minimum, fineness_tenths,
     fineness_basis, methods, price_basis, currency, price, lbma_bp, premium, incoterm, place, valid_from,
     valid_until, title_es, title_en, description_es, description_en, status, close_reason, published_at,
     created_at, updated_at) = row  # fmt: skip
    available_grams = _grams(available)
    fineness = (Decimal(fineness_tenths) * TENTH).quantize(TENTH)
    return {
        "id": str(id_),
        "producer": str(producer),
        "producer_name": legal_name,
        "district": district,
        "sites": [str(site) for site in sites],
        "form": form,
        "quantity_grams": str(_grams(quantity)),
        "available_grams": str(available_grams),
        "min_order_grams": str(_grams(minimum)),
        "fineness": str(fineness),
        "fineness_basis": fineness_basis,
        "fine_grams": str((available_grams * fineness / 1000).quantize(GRAM, rounding=ROUND_HALF_UP)),
        "troy_ounces": str((available_grams / GRAMS_PER_TROY_OUNCE).quantize(OUNCE, rounding=ROUND_HALF_UP)),
        "karat": str((fineness * 24 / 1000).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)),
        "processing_methods": json.loads(methods) if isinstance(methods, str) else methods,
        "claims": list(claims),
        "price_basis": price_basis,
        "price_per_fine_gram": _money(price, currency),
        "lbma_adjustment_percent": None if lbma_bp is None else str(Decimal(lbma_bp) / 100),
        "premium_per_kg_fine": _money(premium, "USD"),
        "incoterm": incoterm,
        "incoterm_place": place,
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat(),
        "title_es": title_es,
        "title_en": title_en,
        "description_es": description_es,
        "description_en": description_en,
        "status": status,
        "close_reason": close_reason,
        "published_at": _datetime(published_at),
        "created_at": _datetime(created_at),
        "updated_at": _datetime(updated_at),
        "photos": [f"/api/v1/listings/{id_}/photos/{position}/" for position in photos],
    }


class BadParameter(ValueError):
    pass


def page_filters(params: Any, today: dt.date) -> tuple[list[str], dict[str, Any], int]:
    """The filters of the query string as SQL conditions, their parameters, and the page size."""
    try:
        page_size = int(params.get("page_size", "20"))
    except ValueError:
        raise BadParameter("page_size") from None
    if not 1 <= page_size <= 100:
        raise BadParameter("page_size")
    values: dict[str, Any] = {"today": today, "limit": page_size + 1}
    filters: list[str] = []
    forms = [f for raw in params.getlist("form") for f in raw.split(",") if f]
    if forms:
        if any(f not in FORMS for f in forms):
            raise BadParameter("form")
        filters.append("l.form = ANY(%(forms)s)")
        values["forms"] = forms
    if params.get("fineness_min"):
        try:
            values["fineness_min"] = int(Decimal(params["fineness_min"]) / TENTH)
        except (InvalidOperation, ValueError):
            raise BadParameter("fineness_min") from None
        filters.append("l.fineness >= %(fineness_min)s")
    text = params.get("q", "")[:200]
    if text.split():
        filters.append(f"{DOCUMENT} @@ {TSQUERY}")
        values["q"] = text
    if params.get("cursor"):  # "<relevance>|<created_at>" of the last row of the previous page
        try:
            rank, position = params["cursor"].split("|")
            values["rank"], values["position"] = float(rank), dt.datetime.fromisoformat(position)
        except ValueError:
            raise BadParameter("cursor") from None
        filters.append(f"({RANK if 'q' in values else '0.0'}, l.created_at) < (%(rank)s::real, %(position)s)")
    return filters, values, page_size


def page_query(cursor: Any, params: Any, today: dt.date) -> tuple[str, dict[str, Any], int]:
    """Reads the catalogue (one query) and returns the page query, its parameters and the page size."""
    filters, values, page_size = page_filters(params, today)
    cursor.execute(CATALOGUE_SQL, {"today": today})
    catalogue = Catalogue(cursor.fetchall())
    where = visibility_sql(catalogue) + "".join(f"\n  AND {f}" for f in filters)
    rank = RANK if "q" in values else "0.0::real"
    return SELECT.format(where=where, rank=rank), values, page_size


def minimal_listings(request: HttpRequest) -> HttpResponse:
    params = request.GET
    today = dt.datetime.now(LIMA).date()
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:  # the psycopg cursor itself, no Django wrapper
        try:
            sql, values, page_size = page_query(cursor, params, today)
        except BadParameter as error:
            return JsonResponse({"status": 400, "detail": f"invalid {error}"}, status=400)
        cursor.execute(sql, values)
        rows = cursor.fetchall()

    results = [_row(row[:-1]) for row in rows[:page_size]]
    next_link = None
    if len(rows) > page_size:
        query = {k: v for k, v in params.lists() if k != "cursor"}
        last = rows[page_size - 1]
        query["cursor"] = [f"{last[-1]!r}|{last[-3].isoformat()}"]
        next_link = request.build_absolute_uri(request.path) + "?" + urlencode(query, doseq=True)
    body = json.dumps(
        {"next": next_link, "previous": None, "results": results}, ensure_ascii=False, separators=(",", ":")
    )
    return HttpResponse(body.encode(), content_type="application/json")
