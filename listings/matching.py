"""Matching visible listings to a buyer's sourcing request: ranked by fit, with each criterion explained.

Fineness, form and claims are hard criteria (a listing that fails one is not a match); quantity, price,
Incoterm and the delivery window are soft: each one met adds to the score, and the answer says which, each
with a reason a buyer can read in its own language ("920.0‰ fine, at least 900.0‰ asked").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, Case, ExpressionWrapper, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from listings.models import Listing, SearchEntry, SourcingRequest


@dataclass(frozen=True)
class Match:
    listing: Listing | SearchEntry  # a match of the page is explained from the read model's row
    score: int
    criteria: dict[str, bool]
    reasons: dict[str, str]


def hard_filter(queryset: QuerySet[SearchEntry], request: SourcingRequest) -> QuerySet[SearchEntry]:
    """The read model's rows of visible listings (`listings.selectors.entries_today`) that meet the hard
    criteria."""
    queryset = queryset.filter(fineness__gte=request.min_fineness)
    if request.forms:
        queryset = queryset.filter(form__in=request.forms)
    for code in request.claims:
        queryset = queryset.filter(claims__contains=f",{code},")
    return queryset


def _met(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


# The soft criteria as SQL, the same tests as `criteria` (the two are kept in agreement by the tests).
def _soft(request: SourcingRequest) -> dict[str, Q]:
    price = Q()
    if request.max_price_per_fine_gram_minor is not None:
        price = Q(
            price_basis="fixed",
            currency=request.currency,
            price_per_fine_gram_minor__lte=request.max_price_per_fine_gram_minor,
        )
    return {
        "quantity": Q(available_grams__gte=request.grams),
        "min_order": Q(min_order_grams__lte=request.grams),
        "price": price,
        "incoterm": Q(incoterm=request.incoterm) if request.incoterm else Q(),
        "delivery_window": Q(valid_until__gte=request.delivery_from),
    }


HARD_CRITERIA = 2  # fineness and claims: every match meets them
FINENESS_STEPS = 10_001  # fineness in tenths of per mille, 0 to 10,000


def ranked(candidates: QuerySet[SearchEntry], request: SourcingRequest) -> QuerySet[SearchEntry]:
    """Every visible listing that meets the hard criteria, with `match_key` = score × 10,001 + fineness in tenths
    of per mille: the most criteria met first, then the finest (ties by id). One query for a page, whatever the
    number of matches; the cursor pages by `match_key`."""
    score: Any = Value(HARD_CRITERIA)
    for condition in _soft(request).values():
        # An empty Q is met by every listing (no maximum price, no Incoterm asked).
        score = score + (_met(condition) if condition else Value(1))
    tenths = Cast(F("fineness") * 10, BigIntegerField())
    return hard_filter(candidates, request).annotate(
        match_key=ExpressionWrapper(score * FINENESS_STEPS + tenths, output_field=BigIntegerField())
    )


def match(listing: Listing | SearchEntry, request: SourcingRequest) -> Match:
    """The criteria a listing of the page meets and why, in the active language: from the listing, or from its
    row in the read model, which holds the same figures under the same names."""
    met = criteria(listing, request)
    return Match(listing, sum(met.values()), met, reasons(listing, request, met))


def within_price(listing: Listing | SearchEntry, request: SourcingRequest) -> bool | None:
    """Whether the listing's price is within the request's maximum: True with no maximum, None when the two
    cannot be compared (an LBMA formula, or another currency)."""
    if request.max_price_per_fine_gram_minor is None:
        return True
    if listing.price_per_fine_gram_minor is None or listing.currency != request.currency:
        return None
    return listing.price_per_fine_gram_minor <= request.max_price_per_fine_gram_minor


def criteria(listing: Listing | SearchEntry, request: SourcingRequest) -> dict[str, bool]:
    price_ok = within_price(listing, request) is True  # what cannot be compared is not counted as met
    return {
        "fineness": listing.fineness >= request.min_fineness,
        "claims": True,  # hard criterion: only listings making every claim get here
        "quantity": listing.available_grams >= request.grams,
        "min_order": listing.min_order_grams <= request.grams,
        "price": price_ok,
        "incoterm": not request.incoterm or listing.incoterm == request.incoterm,
        "delivery_window": listing.valid_until >= request.delivery_from,
    }


def _money(minor: int, currency: str) -> str:
    return f"{currency} {Decimal(minor) / 100:.2f}"  # USD and PEN both have cents


def reasons(listing: Listing | SearchEntry, request: SourcingRequest, met: dict[str, bool]) -> dict[str, str]:
    """Why each criterion of `criteria` is met or not, in the active language."""
    figures = {
        "offered": f"{listing.fineness:.1f}",
        "asked": f"{request.min_fineness:.1f}",
        "available": f"{listing.available_grams:.3f}",
        "grams": f"{request.grams:.3f}",
        "min": f"{listing.min_order_grams:.3f}",
        "claims": ", ".join(request.claims),
        "incoterm": listing.incoterm,
        "asked_incoterm": request.incoterm,
        "until": listing.valid_until.isoformat(),
        "from": request.delivery_from.isoformat(),
        "currency": listing.currency,
        "asked_currency": request.currency,
    }
    if request.max_price_per_fine_gram_minor is not None:
        figures["max"] = _money(request.max_price_per_fine_gram_minor, request.currency)
    if listing.price_per_fine_gram_minor is not None:
        figures["price"] = _money(listing.price_per_fine_gram_minor, listing.currency)
    if request.max_price_per_fine_gram_minor is None:
        price = _("No maximum price asked.")
    elif listing.price_per_fine_gram_minor is None:
        price = _("Priced on the LBMA Gold Price with an adjustment: compare it with your maximum at the fix.")
    elif listing.currency != request.currency:
        price = _("Priced in %(currency)s; your maximum is in %(asked_currency)s.")
    elif met["price"]:
        price = _("%(price)s per fine gram, at most %(max)s asked.")
    else:
        price = _("%(price)s per fine gram, above the %(max)s asked.")
    if not request.incoterm:
        incoterm = _("No Incoterm asked.")
    elif met["incoterm"]:
        incoterm = _("%(incoterm)s, as asked.")
    else:
        incoterm = _("%(incoterm)s offered, %(asked_incoterm)s asked.")
    texts = {
        "fineness": _("%(offered)s‰ fine, at least %(asked)s‰ asked.")
        if met["fineness"]
        else _("%(offered)s‰ fine, below the %(asked)s‰ asked."),
        "claims": _("Makes every claim asked: %(claims)s.") if request.claims else _("No claim asked."),
        "quantity": _("%(available)s g available, %(grams)s g asked.")
        if met["quantity"]
        else _("Only %(available)s g available, %(grams)s g asked."),
        "min_order": _("Minimum order %(min)s g, within the %(grams)s g asked.")
        if met["min_order"]
        else _("Minimum order %(min)s g, above the %(grams)s g asked."),
        "price": price,
        "incoterm": incoterm,
        "delivery_window": _("Offered until %(until)s; your delivery window opens %(from)s.")
        if met["delivery_window"]
        else _("Offered only until %(until)s, before your delivery window opens %(from)s."),
    }
    return {criterion: text % figures for criterion, text in texts.items()}


def matches_listing(listing: Listing, request: SourcingRequest) -> bool:
    """Whether to tell the request's buyer about the listing (when it is offered or re-priced): the hard
    criteria, and a price not known to be above the buyer's maximum (one that cannot be compared, an LBMA
    formula or another currency, is no reason to stay silent)."""
    claims: Any = set(listing.claim_rows.values_list("claim_id", flat=True))
    return (
        listing.fineness >= request.min_fineness
        and (not request.forms or listing.form in request.forms)
        and set(request.claims) <= claims
        and within_price(listing, request) is not False
    )
