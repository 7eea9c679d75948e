"""The compliance engine as a pure function of (policy, evidence, today): no database.

Requirement states (met, expiring soon, pending, expired, missing), the organisation's `valid_until` (the
earliest of its requirements' latest validity), and the claims that hold, with their assurance and validity.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from compliance.policy import (
    EXPIRING_SOON_DAYS,
    NO_EXPIRY,
    ClaimResult,
    ClaimRule,
    EvidenceFact,
    PolicyRule,
    RequirementRule,
    State,
    evaluate,
    evaluate_requirement,
)

TODAY = dt.date(2026, 3, 16)
_ids = itertools.count(1)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def item(
    type_code: str,
    status: str = "approved",
    valid_until: dt.date | None = NO_EXPIRY,
    attributes: dict[str, Any] | None = None,
) -> EvidenceFact:
    return EvidenceFact(f"ev-{next(_ids)}", type_code, status, valid_until, attributes or {})


# Requirements as the seeded catalogue defines them.
TAX_RUC = RequirementRule("TAX_RUC", frozenset({"TAX_RUC"}))
FORMALIZATION = RequirementRule("FORMALIZATION", frozenset({"REINFO", "START_AUTH"}))
MINING_RIGHT = RequirementRule("MINING_RIGHT", frozenset({"MINING_RIGHT"}))
MERCURY_FREE_PROCESS = RequirementRule("MERCURY_FREE_PROCESS", frozenset({"HG_FREE_PROCESS"}))
FIELD_VERIFICATION = RequirementRule("FIELD_VERIFICATION", frozenset({"SITE_VISIT"}))
FAIRMINED = RequirementRule("FAIRMINED", frozenset({"CERT_FAIRMINED"}))

POLICY = PolicyRule("organization", 1, (TAX_RUC, FORMALIZATION, MINING_RIGHT))
CLAIM_REQUIREMENTS = {
    r.code: r
    for r in (
        MERCURY_FREE_PROCESS,
        FIELD_VERIFICATION,
        FAIRMINED,
        RequirementRule("MEMBER_REGISTER", frozenset({"ORG_MEMBERS"})),
        RequirementRule("IDENTITY", frozenset({"ID_DNI"})),
    )
}

MERCURY_FREE = ClaimRule("mercury_free", "reviewer_verified", ("MERCURY_FREE_PROCESS", "FIELD_VERIFICATION"))
FAIRMINED_CLAIM = ClaimRule("fairmined", "third_party_certified", ("FAIRMINED",))
FAIRMINED_ECOLOGICAL = ClaimRule(
    "fairmined_ecological", "third_party_certified", ("FAIRMINED",), rule="ecological_flag", implies=("mercury_free",)
)
MEMBER_REGISTER = RequirementRule("MEMBER_REGISTER", frozenset({"ORG_MEMBERS"}))
IDENTITY = RequirementRule("IDENTITY", frozenset({"ID_DNI"}))
WOMEN_LED = ClaimRule("women_led", "reviewer_verified", ("MEMBER_REGISTER", "IDENTITY"), rule="women_led")
CLAIMS = (MERCURY_FREE, FAIRMINED_CLAIM, FAIRMINED_ECOLOGICAL, WOMEN_LED)


def claims_of(evidence: list[EvidenceFact], **kwargs: Any) -> dict[str, ClaimResult]:
    kwargs.setdefault("claims", CLAIMS)
    kwargs.setdefault("requirement_rules", CLAIM_REQUIREMENTS)
    result = evaluate(POLICY, evidence, TODAY, **kwargs)
    return {claim.code: claim for claim in result.claims}


# --- One requirement ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("valid_until", "state"),
    [
        (days(0), State.EXPIRING_SOON),
        (days(1), State.EXPIRING_SOON),
        (days(EXPIRING_SOON_DAYS - 1), State.EXPIRING_SOON),
        (days(EXPIRING_SOON_DAYS), State.EXPIRING_SOON),  # the boundary: exactly 30 days away is "soon"
        (days(EXPIRING_SOON_DAYS + 1), State.MET),
        (days(400), State.MET),
        (NO_EXPIRY, State.MET),
    ],
)
def test_a_valid_item_meets_the_requirement_and_is_expiring_soon_within_the_window(valid_until, state):
    ruc = item("TAX_RUC", valid_until=valid_until)
    result = evaluate_requirement(TAX_RUC, [ruc], TODAY)
    assert result.code == "TAX_RUC"
    assert result.state == state
    assert result.valid_until == valid_until
    assert result.evidence_ids == (ruc.id,)


def test_an_item_is_valid_on_its_last_day_and_lapsed_the_next():
    ruc = item("TAX_RUC", valid_until=TODAY)
    on_the_last_day = evaluate_requirement(TAX_RUC, [ruc], TODAY)
    assert (on_the_last_day.state, on_the_last_day.valid_until) == (State.EXPIRING_SOON, TODAY)
    assert on_the_last_day.evidence_ids == (ruc.id,)

    the_day_after = evaluate_requirement(TAX_RUC, [ruc], days(1))
    assert (the_day_after.state, the_day_after.valid_until) == (State.EXPIRED, None)
    assert the_day_after.evidence_ids == (ruc.id,)


def test_the_latest_of_several_valid_items_gives_the_validity():
    short, long_, lapsed = (
        item("TAX_RUC", valid_until=days(5)),
        item("TAX_RUC", valid_until=days(90)),
        item("TAX_RUC", valid_until=days(-1)),
    )
    result = evaluate_requirement(TAX_RUC, [short, long_, lapsed], TODAY)
    assert (result.state, result.valid_until) == (State.MET, days(90))
    assert set(result.evidence_ids) == {short.id, long_.id}  # the valid items only


@pytest.mark.parametrize("pending_status", ["submitted", "in_review"])
def test_pending_beats_expired(pending_status):
    lapsed = item("TAX_RUC", valid_until=days(-10))
    waiting = item("TAX_RUC", status=pending_status, valid_until=None)
    result = evaluate_requirement(TAX_RUC, [lapsed, waiting], TODAY)
    assert (result.state, result.valid_until, result.evidence_ids) == (State.PENDING, None, (waiting.id,))


def test_a_valid_item_beats_a_pending_one():
    valid = item("TAX_RUC", valid_until=days(100))
    waiting = item("TAX_RUC", status="submitted", valid_until=None)
    result = evaluate_requirement(TAX_RUC, [waiting, valid], TODAY)
    assert (result.state, result.valid_until, result.evidence_ids) == (State.MET, days(100), (valid.id,))


def test_expired_when_the_only_approved_items_have_lapsed():
    old, older = item("TAX_RUC", valid_until=days(-1)), item("TAX_RUC", valid_until=days(-400))
    revoked = item("TAX_RUC", status="revoked", valid_until=days(100))
    result = evaluate_requirement(TAX_RUC, [old, older, revoked], TODAY)
    assert (result.state, result.valid_until) == (State.EXPIRED, None)
    assert set(result.evidence_ids) == {old.id, older.id}


@pytest.mark.parametrize("status", ["revoked", "rejected", "superseded", "changes_requested"])
@pytest.mark.parametrize("valid_until", [None, days(-5), days(100), NO_EXPIRY])
def test_revoked_rejected_and_superseded_items_never_count(status, valid_until):
    result = evaluate_requirement(TAX_RUC, [item("TAX_RUC", status=status, valid_until=valid_until)], TODAY)
    assert (result.state, result.valid_until, result.evidence_ids) == (State.MISSING, None, ())


def test_missing_when_nothing_at_all_or_only_other_types():
    assert evaluate_requirement(TAX_RUC, [], TODAY).state == State.MISSING
    others = [item("REINFO"), item("MINING_RIGHT", status="submitted", valid_until=None)]
    result = evaluate_requirement(TAX_RUC, others, TODAY)
    assert (result.state, result.valid_until, result.evidence_ids) == (State.MISSING, None, ())


@pytest.mark.parametrize("type_code", ["REINFO", "START_AUTH"])
def test_any_one_of_the_requirement_types_satisfies_it(type_code):
    proof = item(type_code, valid_until=days(200))
    result = evaluate_requirement(FORMALIZATION, [proof], TODAY)
    assert (result.state, result.valid_until, result.evidence_ids) == (State.MET, days(200), (proof.id,))


def test_with_both_alternatives_the_later_one_gives_the_validity():
    reinfo, start_auth = item("REINFO", valid_until=days(20)), item("START_AUTH", valid_until=NO_EXPIRY)
    result = evaluate_requirement(FORMALIZATION, [reinfo, start_auth], TODAY)
    assert (result.state, result.valid_until) == (State.MET, NO_EXPIRY)
    assert set(result.evidence_ids) == {reinfo.id, start_auth.id}

    lapsed_start = item("START_AUTH", valid_until=days(-1))
    result = evaluate_requirement(FORMALIZATION, [reinfo, lapsed_start], TODAY)
    assert (result.state, result.valid_until, result.evidence_ids) == (State.EXPIRING_SOON, days(20), (reinfo.id,))


def test_a_pending_alternative_beats_a_lapsed_one():
    result = evaluate_requirement(
        FORMALIZATION, [item("REINFO", valid_until=days(-3)), item("START_AUTH", "in_review", None)], TODAY
    )
    assert result.state == State.PENDING


# --- The organisation -----------------------------------------------------------------------------
def test_compliant_until_the_earliest_of_the_requirements_latest_validity():
    evidence = [
        item("TAX_RUC", valid_until=days(10)),
        item("TAX_RUC", valid_until=days(25)),  # the requirement lasts until its latest item: day 25
        item("REINFO", valid_until=days(300)),
        item("MINING_RIGHT", valid_until=days(40)),
    ]
    result = evaluate(POLICY, evidence, TODAY)
    assert result.compliant is True
    assert result.valid_until == days(25)
    assert [(r.code, r.state) for r in result.requirements] == [
        ("TAX_RUC", State.EXPIRING_SOON),
        ("FORMALIZATION", State.MET),
        ("MINING_RIGHT", State.MET),
    ]
    assert result.missing == ()
    # Still compliant on that day, not the day after.
    assert evaluate(POLICY, evidence, days(25)).compliant is True
    assert evaluate(POLICY, evidence, days(26)).compliant is False


def test_no_expiry_when_nothing_required_lapses():
    evidence = [item("TAX_RUC"), item("START_AUTH"), item("MINING_RIGHT"), item("CERT_FAIRMINED", valid_until=days(3))]
    result = evaluate(POLICY, evidence, TODAY)
    assert (result.compliant, result.valid_until) == (True, NO_EXPIRY)


def test_a_policy_without_requirements_is_met_with_no_expiry():
    result = evaluate(PolicyRule("buyer", 9, ()), [], TODAY)
    assert (result.compliant, result.valid_until, result.requirements) == (True, NO_EXPIRY, ())


@pytest.mark.parametrize(
    "mining_right",
    [
        None,  # missing
        item("MINING_RIGHT", status="submitted", valid_until=None),  # pending
        item("MINING_RIGHT", valid_until=days(-1)),  # expired
        item("MINING_RIGHT", status="revoked", valid_until=days(100)),  # revoked: missing
    ],
)
def test_not_compliant_has_no_validity_and_names_what_is_missing(mining_right):
    evidence = [item("TAX_RUC", valid_until=days(100)), item("REINFO", valid_until=days(50))]
    evidence += [mining_right] if mining_right else []
    result = evaluate(POLICY, evidence, TODAY)
    assert result.compliant is False
    assert result.valid_until is None
    assert [r.code for r in result.missing] == ["MINING_RIGHT"]
    # The requirements that are met keep their own validity.
    assert {r.code: r.valid_until for r in result.requirements} == {
        "TAX_RUC": days(100),
        "FORMALIZATION": days(50),
        "MINING_RIGHT": None,
    }


# --- Claims ---------------------------------------------------------------------------------------
def test_a_requirements_claim_holds_until_the_earliest_of_its_requirements():
    evidence = [item("HG_FREE_PROCESS", valid_until=days(200)), item("SITE_VISIT", valid_until=days(60))]
    held = claims_of(evidence)
    assert held["mercury_free"] == ClaimResult("mercury_free", "reviewer_verified", days(60))


def test_a_claim_holds_even_when_the_organisation_is_not_compliant():
    evidence = [item("CERT_FAIRMINED", valid_until=days(70))]
    result = evaluate(POLICY, evidence, TODAY, claims=CLAIMS, requirement_rules=CLAIM_REQUIREMENTS)
    assert result.compliant is False
    assert [c.code for c in result.claims] == ["fairmined"]


@pytest.mark.parametrize(
    "site_visit",
    [
        None,
        item("SITE_VISIT", status="submitted", valid_until=None),
        item("SITE_VISIT", valid_until=days(-1)),
        item("SITE_VISIT", status="superseded", valid_until=NO_EXPIRY),
    ],
)
def test_a_requirements_claim_needs_every_requirement_satisfied(site_visit):
    evidence = [item("HG_FREE_PROCESS")] + ([site_visit] if site_visit else [])
    assert "mercury_free" not in claims_of(evidence)


def test_a_claim_naming_a_requirement_outside_the_policy_is_resolved_through_requirement_rules():
    evidence = [item("CERT_FAIRMINED", valid_until=days(120))]
    assert "FAIRMINED" not in {r.code for r in POLICY.requirements}
    held = claims_of(evidence, claims=(FAIRMINED_CLAIM,), requirement_rules=CLAIM_REQUIREMENTS)
    assert held == {"fairmined": ClaimResult("fairmined", "third_party_certified", days(120))}
    # Without the rule for FAIRMINED, the claim cannot be judged, so it does not hold.
    assert claims_of(evidence, claims=(FAIRMINED_CLAIM,), requirement_rules={}) == {}
    # Nor when only some of its requirements can be resolved.
    partial = {"MERCURY_FREE_PROCESS": MERCURY_FREE_PROCESS}
    assert claims_of([item("HG_FREE_PROCESS"), item("SITE_VISIT")], requirement_rules=partial) == {}


def test_a_claim_on_a_policy_requirement_uses_the_policy_rule():
    claim = ClaimRule("formal", "reviewer_verified", ("FORMALIZATION",))
    held = claims_of([item("START_AUTH", valid_until=days(45))], claims=(claim,), requirement_rules={})
    assert held == {"formal": ClaimResult("formal", "reviewer_verified", days(45))}


def test_the_ecological_flag_needs_an_item_flagged_ecological():
    plain = item("CERT_FAIRMINED", valid_until=days(300))
    held = claims_of([plain])
    assert "fairmined" in held
    assert "fairmined_ecological" not in held
    for attributes in ({"ecological": False}, {"ecological": "true"}, {"ecological": 1}, {"flag": "ecological"}):
        assert "fairmined_ecological" not in claims_of([item("CERT_FAIRMINED", attributes=attributes)])

    ecological = item("CERT_FAIRMINED", valid_until=days(100), attributes={"ecological": True})
    held = claims_of([plain, ecological])
    # Its validity is that of the ecological item, not of the later plain one.
    assert held["fairmined_ecological"] == ClaimResult("fairmined_ecological", "third_party_certified", days(100))
    assert held["fairmined"].valid_until == days(300)


@pytest.mark.parametrize(
    ("status", "valid_until"), [("approved", days(-1)), ("submitted", None), ("revoked", days(100))]
)
def test_an_ecological_item_that_does_not_count_gives_no_ecological_claim(status, valid_until):
    evidence = [item("CERT_FAIRMINED", status, valid_until, {"ecological": True}), item("CERT_FAIRMINED")]
    held = claims_of(evidence)
    assert "fairmined" in held
    assert "fairmined_ecological" not in held
    assert "mercury_free" not in held


def test_fairmined_ecological_implies_mercury_free_with_its_validity():
    evidence = [item("CERT_FAIRMINED", valid_until=days(150), attributes={"ecological": True})]
    held = claims_of(evidence)
    assert held["fairmined_ecological"].valid_until == days(150)
    # No mercury-free evidence at all: the claim holds by implication, with its own assurance level.
    assert held["mercury_free"] == ClaimResult("mercury_free", "reviewer_verified", days(150))
    assert sorted(held) == ["fairmined", "fairmined_ecological", "mercury_free"]  # sorted by code


def test_plain_fairmined_implies_nothing():
    held = claims_of([item("CERT_FAIRMINED", valid_until=days(150))])
    assert "mercury_free" not in held


def test_an_implied_claim_that_is_not_offered_is_not_granted():
    evidence = [item("CERT_FAIRMINED", attributes={"ecological": True})]
    held = claims_of(evidence, claims=(FAIRMINED_ECOLOGICAL,))
    assert sorted(held) == ["fairmined_ecological"]


def test_a_claim_held_on_its_own_and_by_implication_lasts_until_the_later_of_the_two():
    """mercury_free holds on its own until day 20 and through fairmined_ecological until day 150: it is
    valid until day 150 (evaluating on day 21 with the same evidence still grants it)."""
    evidence = [
        item("HG_FREE_PROCESS", valid_until=days(20)),
        item("SITE_VISIT", valid_until=days(400)),
        item("CERT_FAIRMINED", valid_until=days(150), attributes={"ecological": True}),
    ]
    later = evaluate(POLICY, evidence, days(21), claims=CLAIMS, requirement_rules=CLAIM_REQUIREMENTS)
    assert "mercury_free" in {claim.code for claim in later.claims}
    assert claims_of(evidence)["mercury_free"].valid_until == days(150)


def test_implication_does_not_depend_on_the_order_of_the_claims():
    """a implies b implies c: c holds whichever order the claims are listed in."""
    a = ClaimRule("a", "third_party_certified", ("FAIRMINED",), implies=("b",))
    b = ClaimRule("b", "reviewer_verified", ("MERCURY_FREE_PROCESS",), implies=("c",))
    c = ClaimRule("c", "self_declared", ("FIELD_VERIFICATION",))
    evidence = [item("CERT_FAIRMINED", valid_until=days(80))]
    expected = {
        "a": ClaimResult("a", "third_party_certified", days(80)),
        "b": ClaimResult("b", "reviewer_verified", days(80)),
        "c": ClaimResult("c", "self_declared", days(80)),
    }
    for order in itertools.permutations((a, b, c)):
        assert claims_of(evidence, claims=order) == expected, [claim.code for claim in order]


def test_women_led_rests_on_a_valid_register_with_more_women_than_men():
    register = item("ORG_MEMBERS", valid_until=days(40), attributes={"women": 3, "men": 2})
    assert claims_of([register]) == {"women_led": ClaimResult("women_led", "reviewer_verified", days(40))}
    assert claims_of([item("ORG_MEMBERS", attributes={"women": 2, "men": 2})]) == {}  # half is not more
    assert claims_of([item("ORG_MEMBERS")]) == {}  # no counts, no claim
    assert claims_of([item("ORG_MEMBERS", attributes={"women": "3", "men": 0})]) == {}  # counts are numbers
    assert claims_of([item("ORG_MEMBERS", valid_until=days(-1), attributes={"women": 3, "men": 0})]) == {}
    assert claims_of([item("ORG_MEMBERS", "submitted", None, {"women": 3, "men": 0})]) == {}


def test_women_led_for_an_individual_woman_rests_on_her_valid_identity():
    identity = item("ID_DNI", valid_until=days(300))
    assert claims_of([identity], individual_woman=True) == {
        "women_led": ClaimResult("women_led", "reviewer_verified", days(300))
    }
    assert claims_of([identity]) == {}  # a man, or an organisation
    assert claims_of([], individual_woman=True) == {}  # no evidence, no claim
    assert claims_of([item("ID_DNI", valid_until=days(-1))], individual_woman=True) == {}
