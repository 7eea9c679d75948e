"""The yardstick: the public listing search written by hand, with no ORM, no DRF and no serializer.

`GET /bench/minimal/?q=mercurio&fineness_min=900&form=dore[&page_size=20]` answers the same rows, in the
same order, with the same fields as `GET /api/v1/listings/` with the same filters, so that wrk can compare
the two. Two round trips to PostgreSQL per request, both through a plain psycopg cursor:

1. the policies in force today and each claim's badge (assurance, evidence types), in one query (the API
   reads them on every request too, since a policy may change between two requests);
2. the page: the same visibility as `listings.visibility.visible_listings`, with the same structure as the
   SQL Django generates for it (the stored verdicts of `compliance.standing` compared with today, per site:
   every site of the listing approved and compliant under the policy of the producer's kind, each claim of the
   listing backed at every site, no open high red flag), the same filters, the stored `search_document` with
   its GIN index, ordered as the API orders a search (`ts_rank` of the same document and query, best first, then
   the newest first; without `q` every rank is 0 and only `created_at DESC` counts), one row more than the page
   to know whether a next page exists; sites, claims and photo positions as arrays in the same row.

Then the fields are formatted as the API formats them (grams as strings with three decimals, fineness with
one, fine grams, troy ounces of fine gold, karat, money as `{amount_minor, currency}`, datetimes in America/Lima,
the indicative price in US cents per fine gram from the fixes and rate of the first query) and written with the
standard library's `json`.

It supports only what the benchmark sends: `q`, `form` (repeatable or comma-separated), `fineness_min`,
`page_size`; a `next` link (an unsigned position) when there is a next page. It is not an API.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
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

# The policies in force, each claim's badge (its assurance and the evidence types of its requirements and of the
# claims that imply it, `compliance.catalogue.claim_evidence_types`), and the latest AM and PM fixes and USD/PEN
# rate the indicative prices read (`listings.selectors.current_market`), in one round trip.
CATALOGUE_SQL = """
(SELECT DISTINCT ON (subject) 'policy', subject, id::text FROM compliance_policy
    WHERE subject IN ('individual', 'organization') AND effective_from <= %(today)s
    ORDER BY subject, effective_from DESC)
UNION ALL
SELECT 'badge', c.code, json_build_object('assurance', c.assurance, 'evidence_types', ARRAY(
    SELECT DISTINCT t.evidencetype_id FROM compliance_claim_requirements cr
    JOIN compliance_requirement_evidence_types t ON t.requirement_id = cr.requirement_id
    WHERE cr.claim_id = c.code
       OR cr.claim_id IN (SELECT i.from_claim_id FROM compliance_claim_implies i WHERE i.to_claim_id = c.code)
    ORDER BY 1))::text
FROM compliance_claim c
UNION ALL
(SELECT DISTINCT ON (benchmark) 'fix', benchmark, json_build_object(
    'date', date, 'milli', usd_per_troy_ounce_milli, 'sample', sample)::text
 FROM prices_metalprice WHERE current AND date <= %(today)s AND benchmark IN ('lbma_gold_am', 'lbma_gold_pm')
 ORDER BY benchmark, date DESC)
UNION ALL
(SELECT 'rate', 'USD/PEN', json_build_object('date', date, 'micro', rate_micro, 'sample', sample)::text
 FROM prices_exchangerate WHERE current AND base = 'USD' AND quote = 'PEN' AND date <= %(today)s
 ORDER BY date DESC LIMIT 1)
"""

# Mirrors listings/selectors.py: the stored tsvector of listings/migrations/0006, GIN-indexed.
DOCUMENT = "l.search_document"
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
    COALESCE((SELECT json_agg(json_build_object(
        'id', lt.id, 'code', lt.code, 'form', lt.form, 'gross', lt.gross_grams, 'declared', lt.declared_fineness,
        'fire', (SELECT a.au_per_mille FROM provenance_assaycertificate a
                 WHERE a.lot_id = lt.id AND a.method = 'fire_assay' ORDER BY a.position DESC LIMIT 1),
        'from', lt.production_from, 'to', lt.production_to, 'live', ll.live) ORDER BY lt.code, ll.id)
      FROM listings_listinglot ll JOIN provenance_lot lt ON lt.id = ll.lot_id WHERE ll.listing_id = l.id),
      '[]'::json) AS lots,
    l.kind, l.monthly_capacity_grams,
    l.form, l.quantity_grams, l.available_grams, l.min_order_grams, l.fineness, l.fineness_basis,
    l.processing_methods, l.price_basis, l.currency, l.price_per_fine_gram_minor, l.lbma_adjustment_bp,
    l.premium_per_kg_fine_minor, l.premium_currency, l.incoterm, l.incoterm_place, l.valid_from, l.valid_until,
    l.title_es, l.title_en, l.description_es, l.description_en, l.status, l.close_reason,
    l.published_at, l.created_at, l.updated_at, {rank} AS relevance
FROM listings_listing l
JOIN producers_producer p ON p.organization_id = l.producer_id
JOIN accounts_organization o ON o.id = p.organization_id
WHERE {where}
ORDER BY relevance DESC, l.created_at DESC
LIMIT %(limit)s
"""


class Catalogue:
    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self.policy: dict[str, int | None] = {"individual": None, "organization": None}
        self.badges: dict[str, dict[str, Any]] = {}
        self.fixes: dict[str, dict[str, Any]] = {}
        self.rate: dict[str, Any] | None = None
        for kind, code, value in rows:
            if kind == "policy":
                self.policy[code] = int(value)
            elif kind == "fix":
                self.fixes[code] = json.loads(value)
            elif kind == "rate":
                self.rate = json.loads(value)
            else:
                self.badges[code] = json.loads(value)


def indicative(row: dict[str, Any], catalogue: Catalogue) -> dict[str, Any] | None:
    """`listings.indicative.indicative_price`, by hand: US cents per fine gram, premium included, exact and
    rounded half to even once; None when the fix or rate it needs is not recorded."""
    basis, rate = row["price_basis"], catalogue.rate
    fix = None
    used_rate = None
    if basis == "fixed" and row["currency"] == "USD":
        price = Fraction(row["price"])
    elif basis == "fixed" and rate is not None:
        price, used_rate = Fraction(row["price"] * 10**6, rate["micro"]), rate
    elif basis in ("lbma_am", "lbma_pm") and f"lbma_gold_{basis[-2:]}" in catalogue.fixes:
        fix = catalogue.fixes[f"lbma_gold_{basis[-2:]}"]
        price = Fraction(fix["milli"] * (10000 + row["lbma_bp"]) * 100, 311034768)  # cents per fine gram
    else:
        return None
    premium = row["premium"]
    if premium == 0 or row["premium_currency"] == "USD":
        price += Fraction(premium, 1000)
    elif rate is not None:
        price, used_rate = price + Fraction(premium * 1000, rate["micro"]), rate
    else:
        return None
    return {
        "usd_per_fine_gram": {"amount_minor": round(price), "currency": "USD"},
        "includes_premium": True,
        "fix": None
        if fix is None
        else {
            "benchmark": f"lbma_gold_{basis[-2:]}",
            "date": fix["date"],
            "usd_per_troy_ounce": str((Decimal(fix["milli"]) / 1000).quantize(Decimal("0.001"))),
            "sample": fix["sample"],
        },
        "rate": None
        if used_rate is None
        else {
            "base": "USD",
            "quote": "PEN",
            "date": used_rate["date"],
            "rate": str((Decimal(used_rate["micro"]) / 10**6).quantize(Decimal("0.000001"))),
            "sample": used_rate["sample"],
        },
    }


# An open high-severity red flag against the listing's producer, one of its sites or one of its lots
# (`listings.visibility._suspended`), read through the partial index of open high flags.
SUSPENDED = (
    "SELECT 1 FROM diligence_redflag f WHERE f.status = 'open' AND f.severity = 'high'"
    " AND f.organization_id = l.producer_id AND (f.subject_kind = 'producer'"
    " OR f.site_id IN (SELECT ls.site_id FROM listings_listing_sites ls WHERE ls.listing_id = l.id)"
    " OR f.lot_id IN (SELECT ll.lot_id FROM listings_listinglot ll WHERE ll.listing_id = l.id))"
)


def visibility_sql(catalogue: Catalogue) -> str:
    """The WHERE clause of `listings.visibility.visible_listings`, for the listing `l` of producer `p`: the stored
    verdicts of `compliance.standing` compared with today, per origin (the producer at one site): the listing
    names a site, and every one of its sites is approved and compliant under the policy of the producer's kind;
    each claim of the listing (women-led included) backed at every one of its sites; no open high red flag."""

    def policy_literal(policy_id: int | None) -> str:
        return "NULL" if policy_id is None else str(int(policy_id))

    # One test, its policy chosen by the producer's kind in the innermost subquery, as the view says it.
    policy_of_kind = (
        f"CASE WHEN p.legal_kind = 'individual' THEN {policy_literal(catalogue.policy.get('individual'))}"
        f" ELSE {policy_literal(catalogue.policy.get('organization'))} END"
    )
    good = (
        "SELECT 1 FROM compliance_sitestanding ss JOIN producers_site st ON st.id = ss.site_id"  # noqa: S608 - ints
        f" WHERE ss.site_id = ls.site_id AND st.status = 'approved' AND ss.policy_id = ({policy_of_kind})"
        " AND ss.compliant_until >= %(today)s"
    )
    compliant = (
        "(EXISTS (SELECT 1 FROM listings_listing_sites ls WHERE ls.listing_id = l.id)"  # noqa: S608 - ints
        f" AND NOT EXISTS (SELECT 1 FROM listings_listing_sites ls WHERE ls.listing_id = l.id AND NOT EXISTS ({good})))"
    )
    if not catalogue.policy.get("individual") and not catalogue.policy.get("organization"):
        compliant = "FALSE"

    return "\n  AND ".join(
        [
            "l.status = 'published'",
            "l.available_grams > 0",
            "l.valid_from <= %(today)s",
            "l.valid_until >= %(today)s",
            "p.verification_status = 'verified'",
            compliant,
            "NOT EXISTS (SELECT 1 FROM listings_listingclaim lc WHERE lc.listing_id = l.id"
            " AND EXISTS (SELECT 1 FROM listings_listing_sites ls WHERE ls.listing_id = l.id"
            " AND NOT EXISTS (SELECT 1 FROM compliance_siteclaimstanding cs WHERE cs.site_id = ls.site_id"
            " AND cs.claim_id = lc.claim_id AND cs.holds_until >= %(today)s)))",
            f"NOT EXISTS ({SUSPENDED})",
        ]
    )


def _grams(milligrams: int) -> Decimal:
    return Decimal(milligrams).scaleb(-3)


def _money(amount: int | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else {"amount_minor": amount, "currency": currency}


def _datetime(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(LIMA).isoformat()


def _lot(lot: dict[str, Any]) -> dict[str, Any]:
    """A spot listing's lot as the API summarises it: the fineness in force is the latest fire assay's."""
    tenths = lot["fire"] if lot["fire"] is not None else lot["declared"]
    return {
        "id": str(lot["id"]),
        "code": lot["code"],
        "form": lot["form"],
        "gross_grams": str(_grams(lot["gross"])),
        "fineness": str((Decimal(tenths) * TENTH).quantize(TENTH)),
        "fire_assayed": lot["fire"] is not None,
        "production_from": lot["from"],
        "production_to": lot["to"],
        "live": lot["live"],
    }


def _row(row: tuple[Any, ...], catalogue: Catalogue) -> dict[str, Any]:
    (id_, producer, legal_name, district, sites, claims, photos, lots, kind, capacity, form, quantity, available,
     minimum, fineness_tenths,
     fineness_basis, methods, price_basis, currency, price, lbma_bp, premium, premium_currency, incoterm, place,
     valid_from, valid_until, title_es, title_en, description_es, description_en, status, close_reason,
     published_at, created_at, updated_at) = row  # fmt: skip
    badges = catalogue.badges
    available_grams = _grams(available)
    fineness = (Decimal(fineness_tenths) * TENTH).quantize(TENTH)
    fine = (available_grams * fineness / 1000).quantize(GRAM, rounding=ROUND_HALF_UP)
    priced = {"price_basis": price_basis, "currency": currency, "price": price, "lbma_bp": lbma_bp,
              "premium": premium, "premium_currency": premium_currency}  # fmt: skip
    return {
        "id": str(id_),
        "producer": str(producer),
        "producer_name": legal_name,
        "district": district,
        "kind": kind,
        "sites": [str(site) for site in sites],
        "lots": [_lot(lot) for lot in (json.loads(lots) if isinstance(lots, str) else lots)],
        "form": form,
        "quantity_grams": str(_grams(quantity)),
        "available_grams": str(available_grams),
        "min_order_grams": str(_grams(minimum)),
        "monthly_capacity_grams": None if capacity is None else str(_grams(capacity)),
        "fineness": str(fineness),
        "fineness_basis": fineness_basis,
        "fine_grams": str(fine),
        "troy_ounces": str((fine / GRAMS_PER_TROY_OUNCE).quantize(OUNCE, rounding=ROUND_HALF_UP)),  # of fine gold
        "karat": str((fineness * 24 / 1000).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)),
        "processing_methods": json.loads(methods) if isinstance(methods, str) else methods,
        "claims": list(claims),
        "badges": [{"code": code, **badges.get(code, {"assurance": "", "evidence_types": []})} for code in claims],
        "price_basis": price_basis,
        "price_per_fine_gram": _money(price, currency),
        "lbma_adjustment_percent": None if lbma_bp is None else str(Decimal(lbma_bp) / 100),
        "premium_per_kg_fine": _money(premium, premium_currency),
        "premium_currency": premium_currency,
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
        "indicative_price": indicative(priced, catalogue),
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


def page_query(cursor: Any, params: Any, today: dt.date) -> tuple[str, dict[str, Any], int, Catalogue]:
    """Reads the catalogue (one query) and returns the page query, its parameters, the page size and the
    catalogue (the badges of the claims)."""
    filters, values, page_size = page_filters(params, today)
    cursor.execute(CATALOGUE_SQL, {"today": today})
    catalogue = Catalogue(cursor.fetchall())
    where = visibility_sql(catalogue) + "".join(f"\n  AND {f}" for f in filters)
    rank = RANK if "q" in values else "0.0::real"
    return SELECT.format(where=where, rank=rank), values, page_size, catalogue


def minimal_listings(request: HttpRequest) -> HttpResponse:
    params = request.GET
    today = dt.datetime.now(LIMA).date()
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:  # the psycopg cursor itself, no Django wrapper
        try:
            sql, values, page_size, catalogue = page_query(cursor, params, today)
        except BadParameter as error:
            return JsonResponse({"status": 400, "detail": f"invalid {error}"}, status=400)
        cursor.execute(sql, values)
        rows = cursor.fetchall()

    results = [_row(row[:-1], catalogue) for row in rows[:page_size]]
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
