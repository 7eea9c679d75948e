"""The network's impact report (docs/impact.md): what the marketplace achieved, month by month in Lima time, as
aggregates that never describe fewer producers than the report policy allows (`reports.suppression`).

Every figure is read from what the platform already records and freezes, never from what a producer types:

- gold traded: the fine gold of the final settlement statements issued in the month (the refinery's weight and
  settling assay, frozen with its SHA-256); mercury-free when the signed terms' compliance snapshot shows the
  claim backed by evidence at every origin site; women-led when the producer's approved evidence said so the
  moment the statement was issued;
- certified premiums: the premium line of those statements when the signed terms were certified (Fairmined,
  Fairtrade), in US dollars;
- producers verified, formalized and holding a start authorisation at the month's end: the verification moves of
  the audit trail, the approved evidence and when it was approved, revoked or superseded;
- women members: the rosters of the producers verified at the month's end;
- evidence decided: the reviewers' decisions in the month and how long each item waited for one.

One call runs a fixed number of queries whatever the number of months, producers or statements (eleven at most).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.db.models import Max, Min, Q

from accounts.models import Organization
from audit.models import AuditEvent
from compliance.models import Claim, EvidenceDecision, Requirement
from compliance.models import Evidence as EvidenceItem
from compliance.policy import women_majority
from core import clock
from core.money import Money
from prices.models import ExchangeRate
from producers.models import VERIFICATION_TRANSITIONS, LegalKind, MemberMiner, Producer, Sex, Verification
from reports import suppression
from reports.models import ReportPolicy
from reports.suppression import BELOW_MIN_GROUP_SIZE, COMPLEMENTARY, NO_POLICY, NOTHING_TO_MEASURE, small
from settlement.models import Statement, StatementKind

# The catalogue entries the figures are defined by (docs/impact.md).
MERCURY_FREE = "mercury_free"  # the claim; and every claim that implies it (Fairmined Ecological)
FORMALIZATION = "FORMALIZATION"  # the requirement "REINFO registration or start authorisation"
START_AUTHORISATION = "START_AUTH"  # the authorisation to start exploitation: formalized in the legal sense
DECIDING_ACTIONS = (
    EvidenceDecision.Action.APPROVE,
    EvidenceDecision.Action.REJECT,
    EvidenceDecision.Action.REQUEST_CHANGES,
)
VERIFICATION_ACTIONS = tuple(f"producers.producer.{move}" for move in VERIFICATION_TRANSITIONS)

MAX_MONTHS = 36
DEFAULT_MONTHS = 12
GRAMS = Decimal("0.001")
TENTH = Decimal("0.1")
MICROSECONDS_AN_HOUR = Decimal(3_600_000_000)


# --- Months -----------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Month:
    year: int
    number: int

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.number - 1 + months
        return Month(index // 12, index % 12 + 1)

    def since(self, other: Month) -> int:
        """Months from `other` to this one (0 for the same month)."""
        return (self.year - other.year) * 12 + self.number - other.number

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.number, 1)

    @property
    def last_day(self) -> dt.date:
        return self.plus(1).first_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        """Midnight of its first day in Lima."""
        return dt.datetime(self.year, self.number, 1, tzinfo=clock.LIMA)

    @property
    def end(self) -> dt.datetime:
        """Midnight of the next month's first day in Lima (exclusive)."""
        return self.plus(1).start

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"


def month_of(instant: dt.datetime) -> Month:
    return Month.of(instant.astimezone(clock.LIMA).date())


# --- What the figures are made of ---------------------------------------------------------------------
@dataclass(frozen=True)
class Held:
    """An evidence item that was approved, from its approval until it stopped counting: revoked, superseded,
    or past its validity."""

    organization: str
    type_code: str
    attributes: dict[str, Any]
    approved_at: dt.datetime
    ended_at: dt.datetime | None  # revoked or superseded
    valid_until: dt.date | None

    def counts(self, instant: dt.datetime) -> bool:
        day = instant.astimezone(clock.LIMA).date()
        return (
            self.approved_at <= instant
            and (self.ended_at is None or self.ended_at > instant)
            and self.valid_until is not None
            and self.valid_until >= day
        )


@dataclass(frozen=True)
class Settled:
    """One final statement: a shipment the refinery settled."""

    producer: str
    month: Month
    fine_grams: Decimal
    mercury_free: bool
    women_led: bool
    premium_usd_minor: int  # 0 when the signed terms were not certified


@dataclass
class Flows:
    """A month's (or the whole period's) additive figures, per producer: who stands behind each."""

    grams: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    mercury_free: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    other_process: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    women_led: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    not_women_led: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    premiums: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    decisions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    waits: list[int] = field(default_factory=list)  # microseconds from submission to decision

    def add_settled(self, row: Settled) -> None:
        self.grams[row.producer] += row.fine_grams
        (self.mercury_free if row.mercury_free else self.other_process)[row.producer] += row.fine_grams
        (self.women_led if row.women_led else self.not_women_led)[row.producer] += row.fine_grams
        if row.premium_usd_minor:
            self.premiums[row.producer] += row.premium_usd_minor

    def add(self, other: Flows) -> None:
        for mine, theirs in (
            (self.grams, other.grams),
            (self.mercury_free, other.mercury_free),
            (self.other_process, other.other_process),
            (self.women_led, other.women_led),
            (self.not_women_led, other.not_women_led),
            (self.premiums, other.premiums),
            (self.decisions, other.decisions),
        ):
            for producer, value in theirs.items():
                mine[producer] += value  # type: ignore[operator,assignment]
        self.waits.extend(other.waits)


def contributors(values: dict[str, Any]) -> frozenset[str]:
    """The producers who contributed something (a contribution of nothing hides nobody)."""
    return frozenset(producer for producer, value in values.items() if value)


# --- The answer -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    value: Any = None  # None when withheld or when there is nothing to measure
    reason: str | None = None  # suppression.REASONS; None when the value is shown

    @classmethod
    def withheld(cls, reason: str) -> Figure:
        return cls(None, reason)


FLOW_FIGURES = (
    "fine_gold_grams",
    "mercury_free_percent",
    "women_led_percent",
    "certified_premiums",
    "evidence_decided",
    "median_review_hours",
)
STOCK_FIGURES = ("producers_verified", "producers_formalized", "producers_start_authorised", "women_members")


@dataclass
class Column:
    """The figures of one month, or the totals of the period (flows only: a stock is read at a month's end)."""

    label: str  # "2026-04", or "total"
    complete: bool
    min_group_size: int | None
    figures: dict[str, Figure]


@dataclass
class ImpactReport:
    first: Month
    last: Month
    generated_at: dt.datetime
    policies: list[ReportPolicy]  # the versions that judged a figure of this report, oldest first
    months: list[Column]
    total: Column


# --- Policies -----------------------------------------------------------------------------------------------
def policy_on(policies: list[ReportPolicy], day: dt.date) -> ReportPolicy | None:
    """The version in force on `day`: the latest whose `valid_from` is not after it; before the first version,
    the first one (a month before the rule existed is not published unprotected); None without any version."""
    chosen = None
    for policy in policies:  # oldest first
        if policy.valid_from <= day:
            chosen = policy
    return chosen or (policies[0] if policies else None)


# --- Reading the database ---------------------------------------------------------------------------------
def _mercury_free_claims() -> frozenset[str]:
    """`mercury_free` and every claim that implies it, directly or through another (one query)."""
    implied_by: dict[str, set[str]] = defaultdict(set)
    for source, target in Claim.implies.through.objects.values_list("from_claim_id", "to_claim_id"):
        implied_by[target].add(source)
    found, todo = {MERCURY_FREE}, [MERCURY_FREE]
    while todo:
        for source in implied_by[todo.pop()] - found:
            found.add(source)
            todo.append(source)
    return frozenset(found)


def _types_of(requirements: Q) -> frozenset[str]:
    through = Requirement.evidence_types.through
    return frozenset(through.objects.filter(requirements).values_list("evidencetype_id", flat=True))


def _held(type_codes: Iterable[str], until: dt.datetime) -> dict[str, list[Held]]:
    """Producers' items of these types that were ever approved (before `until`), per organisation (one query)."""
    rows = (
        EvidenceItem.objects.filter(
            evidence_type_id__in=list(type_codes), organization__kind=Organization.Kind.PRODUCER
        )
        .annotate(
            approved_at=Max("decisions__decided_at", filter=Q(decisions__action=EvidenceDecision.Action.APPROVE)),
            revoked_at=Min("decisions__decided_at", filter=Q(decisions__action=EvidenceDecision.Action.REVOKE)),
            granted_until=Max("decisions__valid_until", filter=Q(decisions__action=EvidenceDecision.Action.APPROVE)),
        )
        .filter(approved_at__isnull=False, approved_at__lt=until)
        .values_list(
            "organization_id",
            "evidence_type_id",
            "attributes",
            "approved_at",
            "revoked_at",
            "superseded_at",
            "valid_until",
            "granted_until",
        )
    )
    held: dict[str, list[Held]] = defaultdict(list)
    for organization, type_code, attributes, approved, revoked, superseded, valid_until, granted in rows:
        ends = [moment for moment in (revoked, superseded) if moment is not None]
        held[str(organization)].append(
            Held(
                organization=str(organization),
                type_code=type_code,
                attributes=attributes if isinstance(attributes, dict) else {},
                approved_at=approved,
                ended_at=min(ends) if ends else None,
                valid_until=valid_until or granted,
            )
        )
    return held


def _usd_minor(amount_minor: int, currency: str, document: dict[str, Any], day: dt.date, rates: _Rates) -> int:
    """A statement's amount in US cents: as it is when the statement is in dollars; otherwise divided by the rate
    the statement itself names (the one it converted with), or the price table's rate of the day before."""
    if currency == "USD":
        return amount_minor
    named = (document.get("prices") or {}).get("rate") or {}
    if named.get("base") == "USD" and named.get("quote") == currency and named.get("rate"):
        rate = Decimal(str(named["rate"]))
    else:
        rate = rates.on_or_before(day)
    return int((Decimal(amount_minor) / rate).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


class _Rates:
    """USD/PEN from the price table, read once and only if a statement names no rate of its own."""

    def __init__(self, until: dt.date) -> None:
        self.until = until
        self.rows: list[tuple[dt.date, Decimal]] | None = None

    def on_or_before(self, day: dt.date) -> Decimal:
        if self.rows is None:
            self.rows = [
                (row.date, row.rate)
                for row in ExchangeRate.objects.filter(base="USD", quote="PEN", current=True, date__lte=self.until)
                .only("date", "rate_micro")
                .order_by("date")
            ]
        earlier = [rate for date, rate in self.rows if date <= day]
        if not earlier:
            raise LookupError(f"no USD/PEN rate on or before {day}")
        return earlier[-1]


def _line(document: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((line for line in document.get("lines", []) if line.get("key") == key), None)


def _mercury_free(snapshot: Any, backers: frozenset[str]) -> bool:
    """The signed terms' snapshot shows the claim (or one implying it) backed by evidence at every origin site. An
    empty snapshot (terms signed before snapshots were kept) proves nothing."""
    sites = snapshot.get("sites") if isinstance(snapshot, dict) else None
    if not isinstance(sites, list) or not sites:
        return False
    return all(
        any(claim.get("code") in backers and claim.get("evidence") for claim in site.get("claims") or [])
        for site in sites
    )


@dataclass
class _Catalogue:
    mercury_free: frozenset[str]
    women_led_types: frozenset[str]
    formalization_types: frozenset[str]


def _catalogue() -> _Catalogue:
    return _Catalogue(
        mercury_free=_mercury_free_claims(),
        women_led_types=_types_of(Q(requirement__claims__rule=Claim.Rule.WOMEN_LED)),
        formalization_types=_types_of(Q(requirement_id=FORMALIZATION)),
    )


def _women_led(
    producer: str, instant: dt.datetime, held: dict[str, list[Held]], types: frozenset[str], woman: bool
) -> bool:
    """The engine's women-led rule (compliance.policy), read at a past moment: an approved member register with
    more than half women, or an individual woman miner's approved identity document, counting then."""
    return any(
        item.type_code in types
        and item.counts(instant)
        and (
            women_majority(item.attributes)
            or (woman and "women" not in item.attributes and "men" not in item.attributes)
        )
        for item in held.get(producer, ())
    )


def _verification_history(until: dt.datetime) -> dict[str, list[tuple[dt.datetime, str]]]:
    """Each producer's verification moves from the audit trail, oldest first: (when, the status it led to)."""
    history: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    events = (
        AuditEvent.objects.filter(
            target_type=Producer._meta.label_lower, action__in=VERIFICATION_ACTIONS, occurred_at__lt=until
        )
        .order_by("seq")
        .values_list("target_id", "occurred_at", "data")
    )
    for producer, occurred_at, data in events:
        status = data.get("to") if isinstance(data, dict) else None
        if isinstance(status, str):
            history[producer].append((occurred_at, status))
    return history


def _verified_at(history: dict[str, list[tuple[dt.datetime, str]]], instant: dt.datetime) -> frozenset[str]:
    verified = set()
    for producer, moves in history.items():
        status = None
        for occurred_at, to in moves:
            if occurred_at > instant:
                break
            status = to
        if status == Verification.VERIFIED:
            verified.add(producer)
    return frozenset(verified)


# --- Figures from the cells ----------------------------------------------------------------------------------
def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_EVEN)


def _median_hours(waits: list[int]) -> Decimal:
    ordered = sorted(waits)
    middle = len(ordered) // 2
    odd = len(ordered) % 2
    median = Decimal(ordered[middle]) if odd else Decimal(ordered[middle - 1] + ordered[middle]) / 2
    return (median / MICROSECONDS_AN_HOUR).quantize(TENTH, rounding=ROUND_HALF_EVEN)


def _share(flows: Flows, part: dict[str, Decimal], rest: dict[str, Decimal], k: int, grams: Figure) -> Figure:
    """A share of the gold: shown with the grams only, and only when the producers of the part and of the rest
    are each none or at least k (the share and the grams give both away)."""
    if grams.reason is not None:
        return Figure.withheld(grams.reason)
    total = sum(flows.grams.values(), Decimal(0))
    if not total:
        return Figure.withheld(NOTHING_TO_MEASURE)
    if small(contributors(part), k) or small(contributors(rest), k):
        return Figure.withheld(BELOW_MIN_GROUP_SIZE)
    return Figure(_percent(sum(part.values(), Decimal(0)), total))


def _amount(values: dict[str, Any], k: int, shown: Any) -> Figure:
    if small(contributors(values), k):
        return Figure.withheld(BELOW_MIN_GROUP_SIZE)
    return Figure(shown)


def _flow_figures(flows: Flows, k: int) -> dict[str, Figure]:
    grams = _amount(flows.grams, k, sum(flows.grams.values(), Decimal(0)).quantize(GRAMS))
    decided = _amount(flows.decisions, k, sum(flows.decisions.values()))
    if decided.reason is not None:
        median = Figure.withheld(decided.reason)
    elif not flows.waits:
        median = Figure.withheld(NOTHING_TO_MEASURE)
    else:
        median = Figure(_median_hours(flows.waits))
    return {
        "fine_gold_grams": grams,
        "mercury_free_percent": _share(flows, flows.mercury_free, flows.other_process, k, grams),
        "women_led_percent": _share(flows, flows.women_led, flows.not_women_led, k, grams),
        "certified_premiums": _amount(flows.premiums, k, Money(sum(flows.premiums.values()), "USD")),
        "evidence_decided": decided,
        "median_review_hours": median,
    }


def _stock_figures(
    verified: frozenset[str],
    formalized: frozenset[str],
    start_authorised: frozenset[str],
    women: dict[str, int],
    k: int,
) -> dict[str, Figure]:
    """Counts at a month's end. The verified producers split into three groups: with a start authorisation,
    formalized by their REINFO registration only, and not formalized; with the count of verified shown, each
    count shown gives a group away, so each group told must be none or at least k."""
    figures = {"women_members": _amount(women, k, sum(women.values()))}
    if small(verified, k):
        withheld = Figure.withheld(BELOW_MIN_GROUP_SIZE)
        return {
            **figures,
            "producers_verified": withheld,
            "producers_formalized": withheld,
            "producers_start_authorised": withheld,
        }
    registry_only = formalized - start_authorised
    not_formalized = verified - formalized
    formalized_figure, start_figure = Figure(len(formalized)), Figure(len(start_authorised))
    if small(start_authorised, k) or small(registry_only, k) or small(not_formalized, k):
        # The start authorisations cannot be told apart; the formalized as a whole perhaps can.
        start_figure = Figure.withheld(BELOW_MIN_GROUP_SIZE if small(start_authorised, k) else COMPLEMENTARY)
        if small(formalized, k) or small(not_formalized, k):
            formalized_figure = Figure.withheld(BELOW_MIN_GROUP_SIZE if small(formalized, k) else COMPLEMENTARY)
    return {
        **figures,
        "producers_verified": Figure(len(verified)),
        "producers_formalized": formalized_figure,
        "producers_start_authorised": start_figure,
    }


def _protect_totals(
    months: list[Month], flows: dict[Month, Flows], columns: dict[Month, dict[str, Figure]], total: Flows, k: int
) -> dict[str, Figure]:
    """The totals of the flows, and the months withheld beside them so that no total gives a withheld month
    away by subtraction (suppression.complete_hiding)."""
    figures = _flow_figures(total, k)

    def protect(names: tuple[str, ...], parts: Any, weight: Any) -> None:
        if figures[names[0]].reason is not None:
            return  # the total is withheld already: the months shown give nothing away by subtraction
        cells = {month: parts(flows[month]) for month in months}
        hidden = {month for month in months if columns[month][names[0]].reason is not None}
        withheld, total_shown = suppression.complete_hiding(cells, hidden, k, weight)
        if not total_shown:  # no month could cover the withheld ones: the total goes instead
            for name in names:
                if figures[name].reason is None:
                    figures[name] = Figure.withheld(COMPLEMENTARY)
            return
        for month in withheld - hidden:
            for name in names:
                if columns[month][name].reason is None:
                    columns[month][name] = Figure.withheld(COMPLEMENTARY)

    def grams_of(month: Month) -> Decimal:
        return sum(flows[month].grams.values(), Decimal(0))

    protect(
        ("fine_gold_grams", "mercury_free_percent", "women_led_percent"), lambda f: (contributors(f.grams),), grams_of
    )
    if figures["fine_gold_grams"].reason is not None:
        for name in ("mercury_free_percent", "women_led_percent"):
            if figures[name].reason is None:
                figures[name] = Figure.withheld(figures["fine_gold_grams"].reason or COMPLEMENTARY)
    protect(
        ("mercury_free_percent",), lambda f: (contributors(f.mercury_free), contributors(f.other_process)), grams_of
    )
    protect(("women_led_percent",), lambda f: (contributors(f.women_led), contributors(f.not_women_led)), grams_of)
    protect(("certified_premiums",), lambda f: (contributors(f.premiums),), lambda m: sum(flows[m].premiums.values()))
    protect(
        ("evidence_decided", "median_review_hours"),
        lambda f: (contributors(f.decisions),),
        lambda m: sum(flows[m].decisions.values()),
    )
    if figures["evidence_decided"].reason is not None and figures["median_review_hours"].reason is None:
        figures["median_review_hours"] = Figure.withheld(figures["evidence_decided"].reason or COMPLEMENTARY)
    return figures


# --- The report ----------------------------------------------------------------------------------------------
def impact_report(first: Month, last: Month) -> ImpactReport:
    """The report of the months from `first` to `last` (both included, in Lima time). The month under way is
    counted so far (`complete` false), its counts as of now."""
    now = clock.now()
    today = clock.today_lima()
    months = [first.plus(n) for n in range(last.since(first) + 1)]
    until = min(last.end, now)

    policies = list(ReportPolicy.objects.order_by("valid_from"))
    catalogue = _catalogue()
    held = _held(catalogue.women_led_types | catalogue.formalization_types, until)
    women = {
        str(pk)
        for pk, kind, sex in Producer.objects.values_list("pk", "legal_kind", "holder_sex")
        if kind == LegalKind.INDIVIDUAL and sex == Sex.FEMALE
    }

    flows = {month: Flows() for month in months}
    rates = _Rates(min(last.last_day, today))
    statements = Statement.objects.filter(kind=StatementKind.FINAL, issued_at__gte=first.start, issued_at__lt=until)
    for producer, issued_at, currency, document, snapshot, certification in statements.values_list(
        "contract__producer_id",
        "issued_at",
        "currency",
        "document",
        "contract__signed_version__compliance_snapshot",
        "contract__signed_version__settlement__certification_id",
    ):
        fine = _line(document, "fine_gold")
        if fine is None:
            continue
        premium = _line(document, "premium") if certification is not None else None
        premium_minor = premium["amount"]["amount_minor"] if premium else 0
        day = issued_at.astimezone(clock.LIMA).date()
        row = Settled(
            producer=str(producer),
            month=month_of(issued_at),
            fine_grams=Decimal(str(fine["grams"])),
            mercury_free=_mercury_free(snapshot, catalogue.mercury_free),
            women_led=_women_led(str(producer), issued_at, held, catalogue.women_led_types, str(producer) in women),
            premium_usd_minor=_usd_minor(premium_minor, currency, document, day, rates) if premium_minor else 0,
        )
        flows[row.month].add_settled(row)

    decisions = EvidenceDecision.objects.filter(
        action__in=DECIDING_ACTIONS,
        decided_at__gte=first.start,
        decided_at__lt=until,
        evidence__organization__kind=Organization.Kind.PRODUCER,
    )
    for organization, decided_at, submitted_at in decisions.values_list(
        "evidence__organization_id", "decided_at", "evidence__created_at"
    ):
        month_flows = flows[month_of(decided_at)]
        month_flows.decisions[str(organization)] += 1
        month_flows.waits.append(max((decided_at - submitted_at) // dt.timedelta(microseconds=1), 0))

    history = _verification_history(until)
    roster = list(
        MemberMiner.objects.filter(sex=Sex.FEMALE, active=True, created_at__lt=until).values_list(
            "producer_id", "created_at"
        )
    )

    columns: dict[Month, dict[str, Figure]] = {}
    used: dict[int, ReportPolicy] = {}
    month_k: dict[Month, int | None] = {}
    for month in months:
        policy = policy_on(policies, min(month.last_day, today))
        month_k[month] = policy.min_group_size if policy else None
        if policy is None:  # no rule at all: nothing is published
            columns[month] = {name: Figure.withheld(NO_POLICY) for name in FLOW_FIGURES + STOCK_FIGURES}
            continue
        used[policy.pk] = policy
        k = policy.min_group_size
        instant = min(month.end - dt.timedelta(microseconds=1), now)
        verified = _verified_at(history, instant)
        formalized = frozenset(
            producer
            for producer in verified
            if any(i.type_code in catalogue.formalization_types and i.counts(instant) for i in held.get(producer, ()))
        )
        start_authorised = frozenset(
            producer
            for producer in formalized
            if any(i.type_code == START_AUTHORISATION and i.counts(instant) for i in held.get(producer, ()))
        )
        women_members: dict[str, int] = defaultdict(int)
        for producer, created_at in roster:
            if created_at <= instant and str(producer) in verified:
                women_members[str(producer)] += 1
        columns[month] = {
            **_flow_figures(flows[month], k),
            **_stock_figures(verified, formalized, start_authorised, women_members, k),
        }

    policy = policy_on(policies, min(last.last_day, today))
    total_flows = Flows()
    for month in months:
        total_flows.add(flows[month])
    if policy is None:
        totals = {name: Figure.withheld(NO_POLICY) for name in FLOW_FIGURES}
    else:
        used[policy.pk] = policy
        totals = _protect_totals(months, flows, columns, total_flows, policy.min_group_size)

    return ImpactReport(
        first=first,
        last=last,
        generated_at=now,
        policies=sorted(used.values(), key=lambda p: p.valid_from),
        months=[
            Column(label=str(month), complete=month.end <= now, min_group_size=month_k[month], figures=columns[month])
            for month in months
        ],
        total=Column(
            label="total",
            complete=last.end <= now,
            min_group_size=policy.min_group_size if policy else None,
            figures=totals,
        ),
    )
