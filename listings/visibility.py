"""Which listings buyers see, computed at query time: a lapse hides a listing the same day, with no job.

Visible = published, some quantity left, inside its validity window, the producer verified by the network,
and, for every site the listing names (at least one), the site approved and its origin (the producer at that
site) compliant today under the policy of the producer's kind; every claim of the listing backed today at
every one of its sites (or, for women-led, by the producer's roster). An origin is judged by the site rule
(`compliance.policy.facts_for_site`): a concession title or environmental instrument counts only for the site
it names, the producer's other items for all its sites. `visible_listings` says it in one SQL query;
`obstacles` (below) says it in words, for the producer, from the compliance engine itself, naming the site
when what is missed is a site's (tests keep the two in agreement).

Compliance is read from the verdicts that `compliance.standing` stores whenever evidence is decided or a
site added: the last day each origin is compliant under each policy (`SiteStanding`), and until when each
claim holds there (`SiteClaimStanding`). Comparing those dates with today is what makes a lapse take effect
the same day; the query reads one small index per condition instead of judging every producer's evidence
(bench/README.md has the figures).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.lookups import Exact
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from compliance import catalogue
from compliance.models import Claim, SiteClaimStanding, SiteStanding
from compliance.production import declared_by_site_month
from compliance.selectors import Standing, origin_standing, origin_standings
from core import clock
from diligence.models import RedFlag, SubjectKind
from diligence.selectors import suspending_flags
from listings.models import Kind, Listing, ListingClaim, ListingLot, Status
from producers.models import Site
from producers.selectors import verified_condition, women_led_producer_of
from provenance.selectors import allowed_grams, tolerance_bp

ListingSite = Listing.sites.through


def _origins_compliant(individual_policy: int | None, organization_policy: int | None, today: dt.date) -> Q:
    """Every site of the listing approved and its origin (the producer at that site) compliant today under the
    policy of the producer's kind, and the listing names at least one site.

    Said as one test whose policy id is chosen by the producer's kind inside the innermost subquery (a `CASE`),
    rather than one test per kind joined by `OR`: PostgreSQL cannot turn an `OR` of `NOT EXISTS` into anti
    joins, and computed the test for every listing's sites twice (bench/README.md: the page query at 100,000
    listings went from about 400 ms to about 95 ms)."""
    if individual_policy is None and organization_policy is None:
        return Q(pk__in=[])  # no policy in force: nobody is compliant (the gate says why)
    policy_of_kind = Case(
        When(Exact(OuterRef(OuterRef("producer__legal_kind")), "individual"), then=Value(individual_policy)),
        default=Value(organization_policy),
        output_field=IntegerField(),
    )
    good = SiteStanding.objects.filter(
        site_id=OuterRef("site_id"),
        site__status=Site.Status.APPROVED,
        policy_id=policy_of_kind,
        compliant_until__gte=today,
    )
    lacking = ListingSite.objects.filter(listing_id=OuterRef("pk")).exclude(Exists(good))
    return Exists(ListingSite.objects.filter(listing_id=OuterRef("pk"))) & ~Exists(lacking)


def _suspended() -> Exists:
    """An open high-severity red flag concerns the listing: against its producer, one of its sites, or one of
    the lots it offers (diligence). One NOT EXISTS over the flags of the listing's producer, read through a
    partial index that holds only open high flags:

        NOT EXISTS (SELECT 1 FROM diligence_redflag f
                    WHERE f.status = 'open' AND f.severity = 'high' AND f.organization_id = listing.producer_id
                      AND (f.subject_kind = 'producer'
                           OR f.site_id IN (SELECT site_id FROM listings_listing_sites WHERE listing_id = listing.id)
                           OR f.lot_id IN (SELECT lot_id FROM listings_listinglot WHERE listing_id = listing.id)))
    """
    listing_sites = ListingSite.objects.filter(listing_id=OuterRef(OuterRef("pk"))).values("site_id")
    listing_lots = ListingLot.objects.filter(listing_id=OuterRef(OuterRef("pk"))).values("lot_id")
    return Exists(
        suspending_flags().filter(
            Q(subject_kind=SubjectKind.PRODUCER) | Q(site_id__in=listing_sites) | Q(lot_id__in=listing_lots),
            organization_id=OuterRef("producer_id"),
        )
    )


def visible_listings(queryset: QuerySet[Listing], today: dt.date) -> QuerySet[Listing]:
    policies = catalogue.policy_ids_in_force(today)
    roster_claims = catalogue.roster_claim_codes()
    visible = _visible_condition(today, policies.get("individual"), policies.get("organization"), roster_claims)
    return queryset.filter(visible)


@lru_cache(maxsize=16)
def _visible_condition(
    today: dt.date, individual_policy: int | None, organization_policy: int | None, roster_claims: tuple[str, ...]
) -> Q:
    """The condition, built once per day and catalogue state in each process: building it is ORM work that a
    search would otherwise repeat on every request. A Q holds no rows, only the SQL to come, so reusing it
    reads current data every time; the catalogue data baked in (the policy ids, the roster-backed claims,
    read on every request) is the key. The claim codes go in as literals rather than a subquery: with a
    subquery PostgreSQL misjudged how many claims need evidence and merged every listing's claims, sorted
    (bench/README.md: the page query at 100,000 listings went from 113-125 ms to 78-84 ms)."""
    compliant = _origins_compliant(individual_policy, organization_policy, today)
    # A claim of the listing that the evidence of one of the listing's origins does not back today (roster
    # claims aside): a claim must hold for every site the gold comes from.
    site_without_claim = ListingSite.objects.filter(listing_id=OuterRef("listing_id")).exclude(
        Exists(
            SiteClaimStanding.objects.filter(
                site_id=OuterRef("site_id"), claim_id=OuterRef(OuterRef("claim_id")), holds_until__gte=today
            )
        )
    )
    unbacked = (
        ListingClaim.objects.filter(listing_id=OuterRef("pk"))
        .exclude(claim_id__in=roster_claims)
        .filter(Exists(site_without_claim))
    )
    claims_roster = ListingClaim.objects.filter(claim_id__in=roster_claims).values("listing_id")
    return (
        compliant
        & ~Exists(unbacked)
        & (~Q(pk__in=claims_roster) | women_led_producer_of("producer"))
        & Q(
            status="published",
            available_grams__gt=0,
            valid_from__lte=today,
            valid_until__gte=today,
        )
        & verified_condition("producer")
        & ~Q(_suspended())
    )


# --- The same gate in words, for the producer and its reviewers -------------------------------------
@dataclass(frozen=True)
class Obstacle:
    code: str
    message: str
    what_to_do: str
    site: str | None = None  # the site whose origin misses it; None for what the producer as a whole misses

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "what_to_do": self.what_to_do, "site": self.site}


def _site_level_codes(requirements: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The requirements and claims that are judged site by site: those an item of a site-specific type can
    satisfy (the others have the same answer at every site: they are the producer's as a whole)."""
    per_site = {
        code
        for code, requirement in requirements.items()
        if any(t.site_specific for t in requirement.evidence_types.all())
    }
    claims = set()
    for claim in Claim.objects.prefetch_related("requirements__evidence_types", "implies"):
        if any(t.site_specific for r in claim.requirements.all() for t in r.evidence_types.all()):
            claims.add(claim.code)
            claims.update(other.code for other in claim.implies.all())  # the claims it implies vary too
    return per_site, claims


def obstacles(listing: Listing) -> list[Obstacle]:
    """Everything that keeps a listing from being offered today, in the caller's language. The gold comes
    from the listing's sites: what an origin (the producer at one site) misses is named with the site."""
    today = clock.today_lima()
    producer = listing.producer
    found: list[Obstacle] = []
    if producer.verification_status != "verified":
        found.append(
            Obstacle(
                "producer_not_verified",
                _("The network has not verified this producer."),
                _("Submit the profile and wait for a reviewer's verification."),
            )
        )
    sites = list(listing.sites.order_by("name"))
    for site in sites:
        if site.status != Site.Status.APPROVED:
            found.append(
                Obstacle(
                    "site_not_approved",
                    _("The site %(site)s is not approved.") % {"site": site.name},
                    _("Wait for a reviewer to approve the site, or offer gold from another one."),
                    str(site.pk),
                )
            )
    judged = origin_standings(producer, today, sites)
    origins: list[tuple[Site | None, Standing]] = list(judged.sites) or [(None, origin_standing(producer, None, today))]
    requirements = {r.code: r for r in judged.whole.policy.requirements.prefetch_related("evidence_types")}
    per_site, per_site_claims = _site_level_codes(requirements)
    said: set[str] = set()  # what the producer as a whole misses is said once

    def add(code: str, site: Site | None, message: str, what_to_do: str, varies: bool) -> None:
        if site is not None and varies:
            found.append(
                Obstacle(
                    code, _("Site %(site)s: %(what)s") % {"site": site.name, "what": message}, what_to_do, str(site.pk)
                )
            )
        elif code not in said:
            said.add(code)
            found.append(Obstacle(code, message, what_to_do))

    listed_claims = list(listing.claim_rows.values_list("claim_id", flat=True))
    for origin_site, standing in origins:
        for result in standing.result.missing:
            requirement = requirements[result.code]
            add(
                result.code,
                origin_site,
                _("%(name)s: %(state)s.") % {"name": requirement.name, "state": state_label(result.state)},
                requirement.what_to_do,
                result.code in per_site,
            )
        held = {claim.code for claim in standing.result.claims}
        for code in listed_claims:
            if code not in held:
                claim = Claim.objects.get(pk=code)
                add(
                    f"claim_{code}",
                    origin_site,
                    _("The claim “%(claim)s” is not backed by approved evidence.") % {"claim": claim.name},
                    _("Upload and get approved the evidence this claim needs, or remove the claim."),
                    code in per_site_claims,
                )
    found.extend(red_flag_obstacles(listing))
    if listing.valid_until < today:
        found.append(
            Obstacle(
                "window_closed",
                _("The listing's validity window has ended."),
                _("Draft a new listing with a current window."),
            )
        )
    if listing.status == Status.HELD:
        found.append(volume_hold())
    if listing.available_grams <= 0:
        found.append(Obstacle("sold_out", _("Nothing is left to sell."), _("Draft a new listing.")))
    return found


def red_flag_obstacles(listing: Listing) -> list[Obstacle]:
    """The open high-severity red flags that suspend the listing, the same rule as `_suspended`, in words."""
    site_ids = list(listing.sites.values_list("pk", flat=True))
    lot_ids = list(ListingLot.objects.filter(listing_id=listing.pk).values_list("lot_id", flat=True))
    flags = (
        suspending_flags()
        .filter(Q(subject_kind=SubjectKind.PRODUCER) | Q(site_id__in=site_ids) | Q(lot_id__in=lot_ids))
        .filter(organization_id=listing.producer_id)
        .select_related("category", "site")
        .order_by("opened_at", "id")
    )
    return [_red_flag_obstacle(flag) for flag in flags]


def _red_flag_obstacle(flag: RedFlag) -> Obstacle:
    english = (get_language() or "en").startswith("en")
    category = flag.category.name_en if english else flag.category.name_es
    message = _("Suspended: an open red flag (%(category)s) is under review.") % {"category": category}
    if flag.site is not None:
        message = _("Site %(site)s: %(what)s") % {"site": flag.site.name, "what": message}
    return Obstacle(
        "red_flag_open",
        message,
        _("Read the flag and answer it; buyers see the offer again once two reviewers close it with a reason."),
        str(flag.site_id) if flag.site_id else None,
    )


def volume_hold() -> Obstacle:
    """What holds a forward listing whose monthly capacity the sites' declared production does not support."""
    return Obstacle(
        "volume_red_flag",
        _(
            "More gold a month is offered than its sites declared producing in their best month of the last "
            "year: a reviewer checks it before buyers see the listing."
        ),
        _("Have your monthly production declarations (PROD_DECL) for these sites confirmed, or offer less a month."),
    )


# Who lifts a hold: a reviewer of the network's technical support group (POST /listings/{id}/release/).
HOLD_RELEASED_BY = "network_reviewer"


def state_label(state: str) -> str:
    return {
        "missing": _("missing"),
        "pending": _("waiting for review"),
        "expired": _("lapsed"),
    }.get(state, state)


BASIS_MONTHS = 12  # a forward capacity is judged against the best month declared in the last year


def _recent_months(today: dt.date) -> list[dt.date]:
    month = today.replace(day=1)
    months = []
    for _index in range(BASIS_MONTHS):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return months


def volume_excess(listing: Listing) -> dict[str, str] | None:
    """Plausibility of a forward offer (docs/provenance.md): the monthly capacity of the producer's live forward
    listings, this one included, must not exceed what their sites declared producing in their best month of the
    last twelve (each site's highest confirmed grams, added up over the sites, with the mass-balance tolerance).
    None when plausible, and always for a spot listing: its lots passed the mass balance when recorded.

    Called under the producer's row lock (`listing_move`), so two publishes cannot both fit the last grams."""
    if listing.kind != Kind.FORWARD:
        return None
    today = clock.today_lima()
    live = list(
        Listing.objects.filter(
            producer_id=listing.producer_id,
            kind=Kind.FORWARD,
            status__in=(Status.PUBLISHED, Status.PAUSED, Status.HELD),
        )
        .exclude(pk=listing.pk)
        .prefetch_related("sites")
    )
    site_ids = {site.pk for site in listing.sites.all()} | {site.pk for other in live for site in other.sites.all()}
    best: dict[Any, Decimal] = {}
    for (site_id, _month), grams in declared_by_site_month(site_ids, _recent_months(today)).items():
        best[site_id] = max(best.get(site_id, Decimal(0)), grams)
    declared = allowed_grams(sum(best.values(), Decimal("0.000")), tolerance_bp(today))
    capacities = [other.monthly_capacity_grams or Decimal(0) for other in live]
    offered = sum(capacities, listing.monthly_capacity_grams or Decimal(0))
    if offered <= declared:
        return None
    return {"offered_monthly_grams": f"{offered:.3f}", "declared_monthly_grams": f"{declared:.3f}"}
