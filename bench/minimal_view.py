"""The yardstick: the public listing search written by hand, with no ORM, no DRF and no serializer.

`GET /bench/minimal/?q=mercurio&fineness_min=900&form=dore[&page_size=20]` answers the same rows, in the
same order, with the same fields as `GET /api/v1/listings/` with the same filters, so that wrk can compare
the two. Two round trips to PostgreSQL per request, both through a plain psycopg cursor:

1. each claim's badge (assurance, evidence types) and the latest fixes and USD/PEN rate, in one query (the API
   reads them on every request too);
2. the page, the best we know how to write on the search read model (`listings_searchentry`, one row per
   listing search can return): a CTE picks the page's ids from the read model alone (visible today by its
   stored dates, the filters on its columns, the stored `document` with its GIN index, ordered as the API
   orders a search: a title hit first, by the stored `title_document`, then the newest, by `created_key`; one
   row more than the page to know whether a next page exists), and only those rows are joined to the listing,
   its producer and organisation, with sites, claims, lots and photo positions as arrays in the same row.

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
import uuid
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

# Each claim's badge (its assurance and the evidence types of its requirements and of the claims that imply it,
# `compliance.catalogue.claim_evidence_types`), and the latest AM and PM fixes and USD/PEN rate the indicative
# prices read (`listings.selectors.current_market`), in one round trip.
CATALOGUE_SQL = """
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

# Mirrors listings/selectors.py: the read model's stored tsvectors (listings/migrations/0012), GIN-indexed.
TSQUERY = (
    "(websearch_to_tsquery('spanish'::regconfig, oro_unaccent(%(q)s))"
    " || websearch_to_tsquery('english'::regconfig, oro_unaccent(%(q)s)))"
)
TIER = 2**51
RELEVANCE = f"(CASE WHEN e.title_document @@ {TSQUERY} THEN {2 * TIER} ELSE {TIER} END + e.created_key)"

SELECT = """
WITH page AS (
    SELECT e.listing_id, {relevance} AS relevance
    FROM listings_searchentry e
    WHERE e.visible_from <= %(today)s AND e.visible_until >= %(today)s{where}
    ORDER BY relevance DESC, e.listing_id
    LIMIT %(limit)s
)
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
    l.published_at, l.created_at, l.updated_at, page.relevance
FROM page
JOIN listings_listing l ON l.id = page.listing_id
JOIN producers_producer p ON p.organization_id = l.producer_id
JOIN accounts_organization o ON o.id = p.organization_id
ORDER BY page.relevance DESC, page.listing_id
"""


class Catalogue:
    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self.badges: dict[str, dict[str, Any]] = {}
        self.fixes: dict[str, dict[str, Any]] = {}
        self.rate: dict[str, Any] | None = None
        for kind, code, value in rows:
            if kind == "fix":
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


# Visible today, by the read model's stored dates (`listings.selectors.catalogue`).
VISIBLE_IDS = (
    "SELECT e.listing_id FROM listings_searchentry e WHERE e.visible_from <= %(today)s AND e.visible_until >= %(today)s"
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
        filters.append("e.form = ANY(%(forms)s)")
        values["forms"] = forms
    if params.get("fineness_min"):
        try:
            values["fineness_min"] = int(Decimal(params["fineness_min"]) / TENTH)
        except (InvalidOperation, ValueError):
            raise BadParameter("fineness_min") from None
        filters.append("e.fineness >= %(fineness_min)s")
    text = params.get("q", "")[:200]
    if text.split():
        filters.append(f"e.document @@ {TSQUERY}")
        values["q"] = text
    if params.get("cursor"):  # "<relevance>|<id>" of the last row of the previous page
        try:
            relevance, last = params["cursor"].split("|")
            values["relevance"], values["last"] = int(relevance), uuid.UUID(last)
        except ValueError:
            raise BadParameter("cursor") from None
        relevance_sql = RELEVANCE if "q" in values else "e.created_key"
        filters.append(
            f"({relevance_sql} < %(relevance)s OR ({relevance_sql} = %(relevance)s AND e.listing_id > %(last)s))"
        )
    return filters, values, page_size


def page_query(cursor: Any, params: Any, today: dt.date) -> tuple[str, dict[str, Any], int, Catalogue]:
    """Reads the catalogue (one query) and returns the page query, its parameters, the page size and the
    catalogue (the badges of the claims, the fixes and the rate)."""
    filters, values, page_size = page_filters(params, today)
    cursor.execute(CATALOGUE_SQL, {"today": today})
    catalogue = Catalogue(cursor.fetchall())
    where = "".join(f"\n      AND {f}" for f in filters)
    relevance = RELEVANCE if "q" in values else "e.created_key"
    return SELECT.format(where=where, relevance=relevance), values, page_size, catalogue


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
        query["cursor"] = [f"{last[-1]}|{last[0]}"]
        next_link = request.build_absolute_uri(request.path) + "?" + urlencode(query, doseq=True)
    body = json.dumps(
        {"next": next_link, "previous": None, "results": results}, ensure_ascii=False, separators=(",", ":")
    )
    return HttpResponse(body.encode(), content_type="application/json")
