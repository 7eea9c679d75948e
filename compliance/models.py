"""The requirement catalogue and policy (data, editable by staff), evidence with its files and decisions.

The catalogue is data (docs/domain.md describes it): rules change by decree, so nothing here is an `if` on a
document code. A policy is versioned: a new version is a new row, effective from a date; decisions already
taken stay as they were.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from core import clock
from core.errors import Conflict
from core.units import GramsField

# "No expiry" is stored as the last representable day, so "latest valid until" is a plain MAX in SQL.
NO_EXPIRY = dt.date(9999, 12, 31)


class Area(models.TextChoices):
    LEGALITY = "legality", _("Legality")
    IDENTITY = "identity", _("Identity")
    ENVIRONMENT = "environment", _("Environment, reclamation and closure")
    MERCURY = "mercury", _("Mercury")
    OHS = "ohs", _("Occupational health and safety")
    CHILD_LABOUR = "child_labour", _("Child labour")
    ORGANISATION = "organisation", _("Organisation and governance")
    TRACEABILITY = "traceability", _("Traceability")
    CERTIFICATION = "certification", _("Certification")
    KYC = "kyc", _("Buyer due diligence (KYC)")


class Bilingual(models.Model):
    """Names in Spanish and English; `name` gives the one of the active language."""

    name_es = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        return self.name_es if (get_language() or "en").startswith("es") else self.name_en


class EvidenceType(Bilingual):
    class Validity(models.TextChoices):
        DOCUMENT_EXPIRY = "document_expiry", _("The date printed on the document")
        DAYS = "days", _("A number of days from the issue date")
        CALENDAR_YEAR = "calendar_year", _("Until the end of the calendar year of issue")
        NO_EXPIRY = "no_expiry", _("No expiry")
        UNTIL_CHANGED = "until_changed", _("Until the site or the facts change")
        PER_LOT = "per_lot", _("One lot")
        DEADLINE = "deadline", _("Until a deadline set by law (ValidityDeadline), or the document's expiry if sooner")

    class Per(models.TextChoices):
        ORGANISATION = "organisation", _("The organisation as a whole")
        SITE = "site", _("One site")
        LOT = "lot", _("One lot")

    class Purpose(models.TextChoices):
        """Why a type that no requirement asks for exists (blank: it serves a requirement)."""

        REQUIREMENT = "", _("It meets a requirement")
        SUPPORTING = "supporting", _("It supports the reviewer's check of another item")
        PER_LOT = "per_lot", _("It describes one lot")
        CLAIM = "claim", _("It backs a claim only")
        PRODUCTION = "production", _("It feeds the mass balance")
        GOOD_PRACTICE = "good_practice", _("Good practice kept on file; no policy in force requires it")

    class Subject(models.TextChoices):
        PRODUCER = "producer", _("Producer")
        BUYER = "buyer", _("Buyer")

    code = models.CharField(max_length=30, primary_key=True)
    area = models.CharField(max_length=20, choices=Area.choices)
    subject = models.CharField(max_length=10, choices=Subject.choices, default=Subject.PRODUCER)
    issuer = models.CharField(max_length=200, blank=True)
    validity = models.CharField(max_length=20, choices=Validity.choices)
    validity_days = models.PositiveIntegerField(null=True, blank=True)
    needs_second_review = models.BooleanField(default=False)
    site_specific = models.BooleanField(default=False)  # the item names one of the producer's sites
    # The item carries grams produced per month at its site (PROD_DECL): the reviewer confirms them, and
    # the mass balance counts the confirmed grams (docs/provenance.md).
    declares_production = models.BooleanField(default=False)
    # The item carries the organisation's beneficial owners and politically exposed persons in its
    # `attributes` (OWNERS_DECL), checked on upload and confirmed by the reviewer (compliance/owners.py).
    declares_owners = models.BooleanField(default=False)
    reviewer_checks_es = models.TextField(blank=True)
    reviewer_checks_en = models.TextField(blank=True)
    proves_es = models.TextField(blank=True)  # what the document proves
    proves_en = models.TextField(blank=True)
    # `deadline` rule: the code of the ValidityDeadline rows that bound it ("formalization").
    deadline_code = models.CharField(max_length=40, blank=True)
    # `document_expiry` rule: whether an item may say the document never expires ("no caduca") instead.
    allows_no_expiry = models.BooleanField(default=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, blank=True, default="")
    purpose_note_es = models.TextField(blank=True)
    purpose_note_en = models.TextField(blank=True)

    # The fields that decide how long an approved item counts: never changed in place once a policy in
    # force requires the type (a change is a new type or a new policy version).
    VALIDITY_FIELDS = ("validity", "validity_days", "deadline_code", "allows_no_expiry")

    class Meta:
        ordering = ["area", "code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(validity="days") | Q(validity_days__gt=0), name="evidence_type_days_given"
            ),
            models.CheckConstraint(
                condition=~Q(validity="deadline") | ~Q(deadline_code=""), name="evidence_type_deadline_given"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            from core import clock

            stored = type(self).objects.filter(pk=self.pk).values(*self.VALIDITY_FIELDS).first()
            changed = stored is not None and any(stored[f] != getattr(self, f) for f in self.VALIDITY_FIELDS)
            if changed and self.in_force_policy_uses(clock.today_lima()):
                raise CatalogueInForce(
                    _(
                        "The validity rule of %(code)s is used by a policy in force: "
                        "make a new type and a new policy version instead."
                    )
                    % {"code": self.pk}
                )
        super().save(*args, **kwargs)

    @property
    def per(self) -> str:
        """What one item covers: a lot, one site, or the organisation as a whole."""
        if self.validity == self.Validity.PER_LOT:
            return self.Per.LOT
        return self.Per.SITE if self.site_specific else self.Per.ORGANISATION

    @property
    def proves(self) -> str:
        return self.proves_es if (get_language() or "en").startswith("es") else self.proves_en

    @property
    def purpose_note(self) -> str:
        return self.purpose_note_es if (get_language() or "en").startswith("es") else self.purpose_note_en

    @property
    def reviewer_checks(self) -> str:
        """What the reviewer compares with the document, in the active language."""
        return self.reviewer_checks_es if (get_language() or "en").startswith("es") else self.reviewer_checks_en

    def in_force_policy_uses(self, today: dt.date) -> bool:
        """Whether a policy in force today (or one that was) requires an item of this type."""
        return Policy.objects.filter(effective_from__lte=today, requirements__evidence_types=self).exists()


class CatalogueInForce(Conflict):
    """A change that would edit the past: a row already in force, or a new one dated before today."""

    code = "edits_the_past"


class EvidenceBasis(models.Model):
    """A law, regulation or standard that asks for a type of evidence. `to_confirm` marks a citation taken
    from general knowledge that nobody has checked against the text yet: clause numbers are never guessed."""

    evidence_type = models.ForeignKey(EvidenceType, on_delete=models.CASCADE, related_name="basis")
    position = models.PositiveSmallIntegerField(default=1)
    citation = models.CharField(max_length=200)  # "D.L. 1293", "Fairmined Standard v2.0"
    clause = models.CharField(max_length=120, blank=True)
    url = models.URLField(blank=True)
    to_confirm = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["evidence_type", "position", "pk"]
        verbose_name_plural = "evidence bases"

    def __str__(self) -> str:
        return f"{self.evidence_type_id}: {self.citation}"


class ValidityDeadline(models.Model):
    """A dated deadline set by a norm (the formalization process's, moved by decree), as versioned data: the
    deadline in force on a day is the row with the latest `effective_from` on or before it. A decree that
    moves it is a new row; a row in force is never edited, and no row is dated before the day it is added."""

    code = models.CharField(max_length=40)  # "formalization"
    deadline = models.DateField()
    effective_from = models.DateField()
    norm = models.CharField(max_length=200)  # "D.S. 012-2025-EM"
    source = models.CharField(max_length=300, blank=True)  # where the norm was read (El Peruano, a URL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="validity_deadline_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.deadline} (from {self.effective_from}, {self.norm})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        from core import clock

        today = clock.today_lima()
        if self._state.adding:
            if self.effective_from < today:
                raise CatalogueInForce(_("A new deadline cannot take effect before today."))
        else:
            stored = type(self).objects.filter(pk=self.pk).values_list("effective_from", flat=True).first()
            if stored is not None and stored <= today:
                raise CatalogueInForce(_("This deadline is in force: add a new row instead of editing it."))
            if self.effective_from < today:
                raise CatalogueInForce(_("A new deadline cannot take effect before today."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        from core import clock

        if self.effective_from <= clock.today_lima():
            raise CatalogueInForce(_("This deadline is in force: add a new row instead of deleting it."))
        return super().delete(*args, **kwargs)


class Requirement(Bilingual):
    """Satisfied by one valid evidence item of any of its types ("REINFO or START_AUTH")."""

    code = models.CharField(max_length=40, primary_key=True)
    area = models.CharField(max_length=20, choices=Area.choices)
    evidence_types = models.ManyToManyField(EvidenceType, related_name="requirements")
    what_to_do_es = models.TextField(blank=True)
    what_to_do_en = models.TextField(blank=True)

    class Meta:
        ordering = ["area", "code"]

    def __str__(self) -> str:
        return self.code

    @property
    def what_to_do(self) -> str:
        return self.what_to_do_es if (get_language() or "en").startswith("es") else self.what_to_do_en


class Policy(models.Model):
    """The requirements one kind of organisation must meet, as of a date. Never edited once in force."""

    class Subject(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual miner")
        ORGANIZATION = "organization", _("Organisation of miners")
        BUYER = "buyer", _("Buyer (KYC)")

    subject = models.CharField(max_length=20, choices=Subject.choices)
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    requirements = models.ManyToManyField(Requirement, related_name="policies")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subject", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "version"], name="policy_version_unique"),
            models.UniqueConstraint(fields=["subject", "effective_from"], name="policy_one_version_per_day"),
        ]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return f"{self.subject} v{self.version} (from {self.effective_from})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        from core import clock

        today = clock.today_lima()
        if self._state.adding and self.effective_from < today:
            raise CatalogueInForce(_("A new policy version cannot take effect before today."))
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("effective_from", flat=True).first()
            if stored is not None and stored <= today:
                raise CatalogueInForce(_("This policy version is in force: copy it as a new version instead."))
            if self.effective_from < today:
                raise CatalogueInForce(_("A new policy version cannot take effect before today."))
        super().save(*args, **kwargs)


class Claim(Bilingual):
    """A badge a producer or listing may show, backed by evidence (`mercury_free`, `fairmined`...)."""

    class Assurance(models.TextChoices):
        SELF_DECLARED = "self_declared", _("Self-declared")
        REVIEWER_VERIFIED = "reviewer_verified", _("Verified by the network's reviewers")
        THIRD_PARTY_CERTIFIED = "third_party_certified", _("Certified by a third party")

    class Rule(models.TextChoices):
        REQUIREMENTS = "requirements", _("Its requirements are met")
        ECOLOGICAL_FLAG = "ecological_flag", _("Its requirements are met by an item with the ecological flag")
        WOMEN_LED = (
            "women_led",
            _(
                "An approved member register with more than half women, "
                "or an individual woman miner's approved identity"
            ),
        )

    code = models.CharField(max_length=30, primary_key=True)
    assurance = models.CharField(max_length=24, choices=Assurance.choices)
    rule = models.CharField(max_length=20, choices=Rule.choices, default=Rule.REQUIREMENTS)
    requirements = models.ManyToManyField(Requirement, related_name="claims", blank=True)
    implies = models.ManyToManyField("self", symmetrical=False, blank=True)  # fairmined_ecological -> mercury_free

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class EvidenceStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")  # uploaded, waiting in the queue
    IN_REVIEW = "in_review", _("In review")  # claimed by a reviewer (or waiting for the second one)
    APPROVED = "approved", _("Approved")  # counts until valid_until
    REJECTED = "rejected", _("Rejected")  # refused, with a reason
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")  # a correction is expected
    REVOKED = "revoked", _("Revoked")  # approval withdrawn, with a reason
    SUPERSEDED = "superseded", _("Superseded")  # replaced by a newer item of the same type


EVIDENCE_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "claim": (("submitted",), "in_review"),
    "approve": (("in_review",), "approved"),
    "reject": (("submitted", "in_review"), "rejected"),
    "request_changes": (("submitted", "in_review"), "changes_requested"),
    "revoke": (("approved",), "revoked"),
    "supersede": (("approved", "changes_requested", "rejected", "submitted", "in_review"), "superseded"),
}
PENDING_STATUSES = ("submitted", "in_review")


class ReviewReason(models.Model):
    """A common reason a reviewer picks when rejecting an item or asking for changes, in both languages, kept
    as data: the network rewords, adds and retires reasons without a release. A reason is never edited once
    in use: a new wording is a new row (same `code`, a later `effective_from`) and the old row gets
    `retired_on`. The text picked is copied into the decision's reason, so a past decision never changes."""

    class Move(models.TextChoices):
        REJECT = "reject", _("Reject")
        REQUEST_CHANGES = "request_changes", _("Request changes")
        EITHER = "either", _("Reject or request changes")

    code = models.SlugField(max_length=40)
    move = models.CharField(max_length=20, choices=Move.choices, default=Move.EITHER)
    text_es = models.CharField(max_length=300)
    text_en = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=1)
    source = models.CharField(max_length=200, help_text="Who wrote or asked for this wording, and where.")
    effective_from = models.DateField()
    retired_on = models.DateField(null=True, blank=True, help_text="The first day it is no longer offered.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="review_reason_one_wording_per_day"),
            models.CheckConstraint(
                condition=Q(retired_on__isnull=True) | Q(retired_on__gt=F("effective_from")),
                name="review_reason_retired_after_effective",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} (from {self.effective_from})"

    @property
    def text(self) -> str:
        return self.text_es if (get_language() or "en").startswith("es") else self.text_en


def evidence_storage():  # type: ignore[no-untyped-def]
    return storages["evidence"]


class Evidence(models.Model):
    """One document (with one or more files) offered as proof. Immutable once submitted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="evidence")
    evidence_type = models.ForeignKey(EvidenceType, on_delete=models.PROTECT, related_name="evidence")
    site = models.ForeignKey("producers.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence")
    document_number = models.CharField(max_length=80, blank=True)
    issuer = models.CharField(max_length=200, blank=True)
    issue_date = models.DateField()
    expiry_date = models.DateField(null=True, blank=True)
    no_expiry = models.BooleanField(default=False)  # the document says it never expires ("no caduca")
    notes = models.TextField(blank=True, max_length=2000)
    attributes = models.JSONField(default=dict, blank=True)  # {"ecological": true}, {"women": 23, "men": 4}
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by_items"
    )
    status = models.CharField(max_length=20, choices=EvidenceStatus.choices, default=EvidenceStatus.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    valid_until = models.DateField(null=True, blank=True)  # set on approval; NO_EXPIRY for no expiry
    # When a newer item replaced this one (null before the column existed, and for items never superseded).
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in EvidenceStatus]), name="evidence_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(expiry_date__isnull=True) | Q(expiry_date__gte=F("issue_date")),
                name="evidence_expiry_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(no_expiry=False) | Q(expiry_date__isnull=True), name="evidence_no_expiry_or_expiry_date"
            ),
            # Whatever counts as approved carries the validity it was granted.
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(valid_until__isnull=False), name="evidence_approved_has_validity"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "evidence_type", "status"], name="evidence_org_type_status_idx"),
            models.Index(fields=["status", "created_at"], name="evidence_queue_idx"),
            models.Index(fields=["status", "valid_until"], name="evidence_validity_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.evidence_type_id} {self.document_number or self.pk}"


class EvidenceFile(models.Model):
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="files")
    position = models.PositiveSmallIntegerField()  # 1, 2, 3... as in evidence/{id}/files/{n}/
    file = models.FileField(storage=evidence_storage, max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=40)
    original_name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["evidence", "position"], name="evidence_file_position_unique")]

    def __str__(self) -> str:
        return f"{self.evidence_id}/{self.position}"


class EvidenceDecision(models.Model):
    """Every decision on an item: who, when, why, and the hashes of the files they looked at."""

    class Action(models.TextChoices):
        CLAIM = "claim", _("Claimed for review")
        FIRST_APPROVAL = "first_approval", _("First approval (a second reviewer must approve)")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        REQUEST_CHANGES = "request_changes", _("Changes requested")
        REVOKE = "revoke", _("Revoked")

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="decisions")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    reason = models.TextField(blank=True)
    valid_until = models.DateField(null=True, blank=True)
    file_hashes = models.JSONField(default=list)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.evidence_id}"


class DeclaredProduction(models.Model):
    """Grams a production declaration says its site produced in one calendar month, and the grams the
    reviewer confirmed when approving it (null until then). The mass balance counts the confirmed grams of
    the most recently approved item still approved for the site and month."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="production")
    site = models.ForeignKey("producers.Site", on_delete=models.PROTECT, related_name="declared_production")
    month = models.DateField()  # the first day of the month
    declared_grams = GramsField()
    confirmed_grams = GramsField(null=True, blank=True)

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["evidence", "month"], name="declared_production_month_once"),
            models.CheckConstraint(condition=Q(declared_grams__gt=0), name="declared_production_positive"),
            models.CheckConstraint(
                condition=Q(confirmed_grams__isnull=True)
                | (Q(confirmed_grams__gte=0) & Q(confirmed_grams__lte=F("declared_grams"))),
                name="declared_production_confirmed_at_most_declared",
            ),
        ]
        indexes = [models.Index(fields=["site", "month"], name="declared_production_site_idx")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.month:%Y-%m}: {self.confirmed_grams or self.declared_grams} g"


class ReminderSent(models.Model):
    """One reminder per evidence item and threshold (60, 30, 7 days before, 0 on the day it lapses)."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["evidence", "days_before"], name="reminder_once_per_threshold")]

    def __str__(self) -> str:
        return f"{self.evidence_id} -{self.days_before}d"


class OrganizationStanding(models.Model):
    """The engine's verdict for one organisation under one policy, stored so that search reads a date
    instead of re-judging every producer's evidence on every request.

    Evidence counts only while it is approved and `valid_until >= today`, so with the evidence fixed the
    verdict can only go from compliant to lapsed as days pass: `compliant_until` (the last compliant day,
    NULL for never) answers for every day from the refresh on. Readers compare it with today, so a lapse
    still hides a listing the same day with no job. Every change to the approved evidence refreshes the
    rows (`compliance.standing`), and so does a new policy version: rows exist for the policy in force and
    for the versions that come into force later."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="standings")
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="+")
    compliant_until = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "policy"], name="standing_one_per_policy"),
        ]
        indexes = [
            models.Index(fields=["policy", "compliant_until", "organization"], name="standing_policy_until_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} under policy {self.policy_id}: compliant until {self.compliant_until}"


class ClaimStanding(models.Model):
    """Until when an organisation's evidence backs a claim (NO_EXPIRY for no end), refreshed with its
    OrganizationStanding. Women-led is a claim like the others: it rests on approved evidence (the member
    register's counts, or an individual woman miner's identity), never on the roster the producer edits."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="claim_standings")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    holds_until = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "claim"], name="claim_standing_unique"),
        ]
        indexes = [
            models.Index(fields=["claim", "holds_until", "organization"], name="claim_standing_until_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.claim_id} until {self.holds_until}"


class SiteStanding(models.Model):
    """The engine's verdict for one origin (the site's producer, at this site) under one policy: what the
    listing gate reads. Judged by the site rule (`compliance.policy.facts_for_site`): the organisation's
    items that are not site-specific count for every site, a site-specific item only for the site it names,
    so the verdict includes the organisation-level requirements. Refreshed with the organisation's
    `OrganizationStanding`, for every site whatever its status (the gate checks the site's approval)."""

    site = models.ForeignKey("producers.Site", on_delete=models.CASCADE, related_name="standings")
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="+")
    compliant_until = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "policy"], name="site_standing_one_per_policy"),
        ]
        indexes = [
            models.Index(fields=["policy", "compliant_until", "site"], name="site_standing_policy_until_idx"),
        ]

    def __str__(self) -> str:
        return f"site {self.site_id} under policy {self.policy_id}: compliant until {self.compliant_until}"


class SiteClaimStanding(models.Model):
    """Until when the evidence that counts for one origin (by the site rule) backs a claim (NO_EXPIRY for
    no end). A table of its own rather than a site on `ClaimStanding`: that one answers for an organisation
    (every item, wherever it names), this one for an origin, and each keeps a plain unique key and the
    narrow index the gate reads (claim, until, site)."""

    site = models.ForeignKey("producers.Site", on_delete=models.CASCADE, related_name="claim_standings")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    holds_until = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "claim"], name="site_claim_standing_unique"),
        ]
        indexes = [
            models.Index(fields=["claim", "holds_until", "site"], name="site_claim_standing_until_idx"),
        ]

    def __str__(self) -> str:
        return f"site {self.site_id}: {self.claim_id} until {self.holds_until}"


MAX_REMINDER_DAYS = 366


POLICY_EDITS_THE_PAST = (
    "This is a policy version that edits the past: a version in force (or past) is never changed, and a new "
    "one takes effect today at the earliest. Add a version effective from today or later instead."
)


class KycPolicy(models.Model):
    """How long a buyer's KYC verification counts, and when its admins are reminded before it lapses
    (versioned data, like `Policy`). The version in force on a day is the one with the latest
    `effective_from` on or before it. A verification stores the validity the version in force granted that
    day, so a later version never changes a decision already taken: a version that would edit the past (a
    new one effective before today, or any change to one already in force) is refused, here and in the
    admin."""

    validity_months = models.PositiveSmallIntegerField(
        help_text="A verification counts until the same day this many months later (inclusive)."
    )
    reminder_days = models.JSONField(
        default=list,
        blank=True,
        help_text="Days before the lapse when the buyer's admins are reminded (0: on the day it lapses). "
        "Empty: the thresholds of evidence reminders (60, 30, 7 and 0).",
    )
    effective_from = models.DateField(unique=True)
    source = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = "KYC policy"
        verbose_name_plural = "KYC policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_months__gte=1) & Q(validity_months__lte=60), name="kyc_policy_months_range"
            ),
        ]

    def __str__(self) -> str:
        return f"KYC valid {self.validity_months} months from {self.effective_from}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.edits_the_past():
            raise ValidationError(POLICY_EDITS_THE_PAST, code="policy_edits_the_past")
        self.reminder_days = sorted(set(self.reminder_days or []), reverse=True)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        if self.effective_from <= clock.today_lima():
            raise ValidationError(POLICY_EDITS_THE_PAST, code="policy_edits_the_past")
        return super().delete(*args, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def in_force(cls, today: dt.date) -> KycPolicy | None:
        return cls.objects.filter(effective_from__lte=today).order_by("-effective_from").first()

    def edits_the_past(self, today: dt.date | None = None) -> bool:
        """A new version effective before today, or a change to a version already in force (or past)."""
        today = today or clock.today_lima()
        if self.effective_from is not None and self.effective_from < today:
            return True
        if self.pk is None or self._state.adding:
            return False
        stored = KycPolicy.objects.filter(pk=self.pk).values_list("effective_from", flat=True).first()
        return stored is not None and stored <= today

    def clean(self) -> None:
        days = self.reminder_days
        if not isinstance(days, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= MAX_REMINDER_DAYS for d in days
        ):
            raise ValidationError(
                {"reminder_days": f"A list of whole days from 0 to {MAX_REMINDER_DAYS}, such as [60, 30, 7, 0]."},
                code="invalid",
            )
        if len(set(days)) != len(days):
            raise ValidationError({"reminder_days": "Each day appears once."}, code="duplicate")
        if self.edits_the_past():
            raise ValidationError(POLICY_EDITS_THE_PAST, code="policy_edits_the_past")


class KycReminderSent(models.Model):
    """One reminder per buyer, validity and threshold: a renewed verification (a new `valid_until`) is
    reminded again from the start."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="kyc_reminders")
    valid_until = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "valid_until", "days_before"], name="kyc_reminder_once_per_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} KYC until {self.valid_until} -{self.days_before}d"
