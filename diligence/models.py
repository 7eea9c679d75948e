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
from django.utils.translation import get_language
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

    @property
    def name(self) -> str:
        return self.name_es if (get_language() or "en").startswith("es") else self.name_en


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


# --- Sanctions lists and screening ---------------------------------------------------------------------
class SanctionsList(models.Model):
    """One import of a consolidated sanctions list (diligence/sanctions.py reads the file). The latest import of
    each source is the one in force; the earlier ones stay, superseded, so a screening can always say which list
    it was made against."""

    class Format(models.TextChoices):
        UN_XML = "un-xml", _("UN Security Council consolidated list (XML)")
        CSV = "csv", _("CSV: reference, kind, name, aliases, documents")

    source = models.CharField(max_length=120)  # "UN Security Council consolidated list"
    list_format = models.CharField(max_length=10, choices=Format.choices)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    entries_count = models.PositiveIntegerField()
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["source", "-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"], condition=Q(superseded_at__isnull=True), name="sanctions_list_one_in_force"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} ({self.imported_at:%Y-%m-%d}, {self.entries_count} entries)"


class SanctionsEntry(models.Model):
    """A person or entity on a list, as the file names it, with the line it was read from."""

    sanctions_list = models.ForeignKey(SanctionsList, on_delete=models.CASCADE, related_name="entries")
    reference = models.CharField(max_length=80)
    kind = models.CharField(max_length=10)  # individual | entity
    name = models.CharField(max_length=300)
    aliases = models.JSONField(default=list)
    documents = models.JSONField(default=list)
    line = models.PositiveIntegerField()

    class Meta:
        ordering = ["sanctions_list", "line"]
        constraints = [
            models.UniqueConstraint(fields=["sanctions_list", "reference"], name="sanctions_entry_reference_once")
        ]
        verbose_name_plural = "sanctions entries"

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class SanctionsKey(models.Model):
    """What an entry is matched by: each of its names (diligence.sanctions.name_key) and document numbers."""

    entry = models.ForeignKey(SanctionsEntry, on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(max_length=10)  # name | document
    key = models.CharField(max_length=400)

    class Meta:
        indexes = [models.Index(fields=["kind", "key"], name="sanctions_key_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class Screening(models.Model):
    """One screening of an organisation against the lists in force: which lists, which names were checked
    (the organisation's, its confirmed owners' and declared politically exposed persons'), and the hits. Kept,
    never edited: the due-diligence pack shows the latest, with the lists it was made against."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="screenings")
    screened_at = models.DateTimeField()
    lists = models.JSONField(default=list)  # [{"id", "source", "sha256", "imported_at", "entries"}]
    checked = models.JSONField(default=list)  # [{"name", "role", "document"}]
    hits = models.JSONField(default=list)  # [{"name", "role", "match", "source", "reference", "entry", "flag"}]
    owners_evidence = models.UUIDField(null=True, blank=True)  # the owners declaration the names came from

    class Meta:
        ordering = ["-screened_at", "-id"]
        indexes = [models.Index(fields=["organization", "-screened_at"], name="screening_org_latest_idx")]

    def __str__(self) -> str:
        return f"{self.organization_id} at {self.screened_at:%Y-%m-%d %H:%M}: {len(self.hits)} hits"


class SanctionsMatch(models.Model):
    """A hit that opened a red flag: one per organisation and listed reference, so a screening after the next
    import does not open the same flag again, and a flag a reviewer closed as a false match stays closed."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sanctions_matches")
    source = models.CharField(max_length=120)
    reference = models.CharField(max_length=80)
    flag = models.ForeignKey(RedFlag, on_delete=models.PROTECT, related_name="+")
    first_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "source", "reference"], name="sanctions_match_once")
        ]
        verbose_name_plural = "sanctions matches"

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.source} {self.reference}"


# --- The due-diligence pack: a buyer's request and the producer's consent ---------------------------
class ConsentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    GRANTED = "granted", _("Granted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")


# Requests still alive: a buyer asking again gets the same one back.
ACTIVE_CONSENT = (ConsentStatus.REQUESTED, ConsentStatus.GRANTED)

# move -> (statuses it may start from, status it leads to)
CONSENT_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "grant": ((ConsentStatus.REQUESTED,), ConsentStatus.GRANTED),
    "decline": ((ConsentStatus.REQUESTED,), ConsentStatus.DECLINED),
    "revoke": ((ConsentStatus.GRANTED,), ConsentStatus.REVOKED),
}


class PackConsent(models.Model):
    """A buyer's request to read a producer's due-diligence pack, and the producer's answer. It rests on a
    basis, an open inquiry or a contract between the two (trade answers through PACK_BASIS): the one found at
    request time is recorded here, and the basis is checked again at every read (a consent lapses with it)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    buyer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="pack_requests")
    producer = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="pack_consents")
    status = models.CharField(max_length=10, choices=ConsentStatus.choices, default=ConsentStatus.REQUESTED)
    basis_kind = models.CharField(max_length=10)  # inquiry | contract (trade's ids: diligence comes before it)
    basis_id = models.UUIDField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "producer"],
                condition=Q(status__in=["requested", "granted"]),
                name="pack_consent_one_active",
            ),
        ]
        indexes = [models.Index(fields=["producer", "status"], name="pack_consent_producer_idx")]

    def __str__(self) -> str:
        return f"{self.buyer_id} → {self.producer_id}: {self.status}"
