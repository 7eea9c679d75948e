"""Red flags (OECD Due Diligence Guidance, Annex II and the gold supplement): a network reviewer records a
risk against one subject (a producer, one of its sites, one of its lots, or a buyer), the producer answers,
and reviewers close it with a reason (two different reviewers for a high-severity flag). An open flag of high
severity suspends the producer's offers that it concerns (listings.visibility). docs/diligence.md.

The categories are data (`RedFlagCategory`, seeded by migration 0002 with the text they come from), never
constants: a new category is a row.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from producers.models import Site
from provenance.models import Lot

FACTS_MAX_LENGTH = 5000
TEXT_MAX_LENGTH = 5000


def diligence_storage():  # type: ignore[no-untyped-def]
    """Attachments of red flags and answers: the private evidence storage."""
    return storages["evidence"]


class RedFlagCategory(models.Model):
    """One kind of red flag, with the text of the guidance it comes from."""

    code = models.CharField(primary_key=True, max_length=40)
    name_es = models.CharField(max_length=160)
    name_en = models.CharField(max_length=160)
    description_es = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    source = models.CharField(max_length=300)  # the citation: "OECD DDG, Annex II, para. 1"
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name_plural = "red flag categories"

    def __str__(self) -> str:
        return self.code


class SubjectKind(models.TextChoices):
    PRODUCER = "producer", _("Producer")
    SITE = "site", _("Site")
    LOT = "lot", _("Lot")
    BUYER = "buyer", _("Buyer")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


# The flags a producer's members see and answer (the others are against a buyer).
PRODUCER_SIDE = (SubjectKind.PRODUCER, SubjectKind.SITE, SubjectKind.LOT)


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RedFlag(models.Model):
    """A red flag against exactly one subject. `organization` is always the organisation it concerns: the
    producer (also for a site or a lot, for tenancy and the producer's view) or the buyer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject_kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="red_flags")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True, related_name="red_flags")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="red_flags")
    category = models.ForeignKey(RedFlagCategory, on_delete=models.PROTECT, related_name="flags")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    facts = models.TextField(max_length=FACTS_MAX_LENGTH)
    status = models.CharField(max_length=8, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    # Four eyes (high severity): the first reviewer proposes closing with a reason, a different one confirms.
    close_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_proposed_at = models.DateTimeField(null=True, blank=True)
    close_proposal_reason = models.TextField(blank=True, max_length=2000)
    close_reason = models.TextField(blank=True, max_length=2000)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(subject_kind__in=["producer", "buyer"]) & Q(site__isnull=True) & Q(lot__isnull=True))
                | (Q(subject_kind="site") & Q(site__isnull=False) & Q(lot__isnull=True))
                | (Q(subject_kind="lot") & Q(lot__isnull=False) & Q(site__isnull=True)),
                name="red_flag_one_subject",
            ),
            models.CheckConstraint(condition=Q(severity__in=["low", "medium", "high"]), name="red_flag_severity_valid"),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(closed_at__isnull=True))
                | (Q(status="closed") & Q(closed_at__isnull=False) & ~Q(close_reason="")),
                name="red_flag_closed_with_reason",
            ),
        ]
        indexes = [
            # What suspends listings: tiny (open high flags only), read by every search.
            models.Index(
                fields=["organization"],
                condition=Q(status="open", severity="high"),
                name="red_flag_suspending_idx",
            ),
            models.Index(fields=["organization", "opened_at"], name="red_flag_org_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.category_id} ({self.severity}) {self.subject_kind} {self.pk}"


class RedFlagAnswer(models.Model):
    """What the producer says about a flag (append-only)."""

    flag = models.ForeignKey(RedFlag, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(max_length=TEXT_MAX_LENGTH)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["answered_at", "id"]

    def __str__(self) -> str:
        return f"{self.flag_id} #{self.pk}"


class RedFlagAttachment(models.Model):
    """A file checked by core.uploads, kept byte-exact in the private storage with its SHA-256: the reviewer's
    (the facts) or the producer's (with an answer). Numbered per flag, as in red-flags/{id}/attachments/{n}/."""

    class Side(models.TextChoices):
        NETWORK = "network", _("The network")
        PRODUCER = "producer", _("The producer")

    flag = models.ForeignKey(RedFlag, on_delete=models.PROTECT, related_name="attachments")
    position = models.PositiveSmallIntegerField()
    answer = models.ForeignKey(RedFlagAnswer, on_delete=models.PROTECT, null=True, blank=True, related_name="files")
    side = models.CharField(max_length=10, choices=Side.choices)
    file = models.FileField(storage=diligence_storage, max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=40)
    original_name = models.CharField(max_length=120, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["flag", "position"], name="red_flag_attachment_position")]

    def __str__(self) -> str:
        return f"{self.flag_id}/{self.position}"
