"""Producers (a woman miner or an organisation of miners), their sites and their member roster."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization


class LegalKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual miner")
    COOPERATIVE = "cooperative", _("Cooperative")
    ASSOCIATION = "association", _("Association")
    COMPANY = "company", _("Company of miners")


class LegalCategory(models.TextChoices):
    PPM = "PPM", _("Small mining producer (PPM)")
    PMA = "PMA", _("Artisanal mining producer (PMA)")
    REINFO = "REINFO", _("In formalization (REINFO)")
    FORMALIZED = "FORMALIZED", _("Formalized (authorisation to start exploitation)")


class District(models.TextChoices):
    TAMBOPATA = "tambopata", "Tambopata"
    INAMBARI = "inambari", "Inambari"
    LABERINTO = "laberinto", "Laberinto"
    LAS_PIEDRAS = "las_piedras", "Las Piedras"
    HUEPETUHE = "huepetuhe", "Huepetuhe"
    MADRE_DE_DIOS = "madre_de_dios", "Madre de Dios"
    FITZCARRALD = "fitzcarrald", "Fitzcarrald"
    MANU = "manu", "Manu"
    TAHUAMANU = "tahuamanu", "Tahuamanu"
    IBERIA = "iberia", "Iberia"
    INAPARI = "inapari", "Iñapari"


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Verification(models.TextChoices):
    DRAFT = "draft", _("Draft")  # being filled in by the producer
    SUBMITTED = "submitted", _("Submitted")  # waiting for a reviewer
    VERIFIED = "verified", _("Verified")  # the network vouches for the producer
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")  # a reviewer asked for corrections
    REJECTED = "rejected", _("Rejected")  # refused; may be corrected and submitted again
    SUSPENDED = "suspended", _("Suspended")  # temporarily not verified (REINFO excluded, a finding)
    REVOKED = "revoked", _("Revoked")  # verification withdrawn for good


# move -> (states it may start from, state it leads to)
VERIFICATION_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft", "changes_requested", "rejected"), "submitted"),
    "verify": (("submitted",), "verified"),
    "request_changes": (("submitted",), "changes_requested"),
    "reject": (("submitted",), "rejected"),
    "suspend": (("verified",), "suspended"),
    "reinstate": (("suspended",), "verified"),
    "revoke": (("verified", "suspended"), "revoked"),
}


class Producer(models.Model):
    """The profile of a producer organisation; its id is the organisation's id."""

    organization = models.OneToOneField(
        Organization, primary_key=True, on_delete=models.CASCADE, related_name="producer"
    )
    legal_kind = models.CharField(max_length=12, choices=LegalKind.choices)
    legal_category = models.CharField(max_length=12, choices=LegalCategory.choices)
    ruc = models.CharField(max_length=11, unique=True)
    dni = models.CharField(max_length=8, blank=True)  # individuals: the RUC of a person embeds it
    holder_sex = models.CharField(max_length=6, choices=Sex.choices, blank=True)  # individuals only
    reinfo_code = models.CharField(max_length=40, blank=True)
    district = models.CharField(max_length=20, choices=District.choices)
    contact_phone = models.CharField(max_length=40, blank=True)
    description_es = models.TextField(blank=True, max_length=4000)
    description_en = models.TextField(blank=True, max_length=4000)
    verification_status = models.CharField(max_length=20, choices=Verification.choices, default=Verification.DRAFT)
    verification_reason = models.TextField(blank=True)
    verification_changed_at = models.DateTimeField(null=True, blank=True)
    verification_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organization__legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verification_status__in=[v.value for v in Verification]),
                name="producer_verification_valid",
            ),
            models.CheckConstraint(
                condition=Q(legal_kind__in=[v.value for v in LegalKind]), name="producer_kind_valid"
            ),
            # A natural person has a RUC starting 10 and a DNI; an organisation a RUC starting 20 and no DNI.
            models.CheckConstraint(
                condition=(Q(legal_kind="individual", ruc__startswith="10") & ~Q(dni="") & ~Q(holder_sex=""))
                | (~Q(legal_kind="individual") & Q(ruc__startswith="20", dni="", holder_sex="")),
                name="producer_identity_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["verification_status", "district"], name="producer_status_district_idx")]

    def __str__(self) -> str:
        return self.organization.legal_name

    @property
    def is_individual(self) -> bool:
        return self.legal_kind == LegalKind.INDIVIDUAL

    @property
    def is_verified(self) -> bool:
        """The network vouches for the producer today: the one definition (`verified_condition` in SQL)."""
        return self.verification_status == Verification.VERIFIED


class SourceCrs(models.TextChoices):
    WGS84 = "EPSG:4326", _("WGS84 longitude and latitude (GeoJSON)")
    UTM_19S = "EPSG:32719", _("UTM zone 19S, WGS84 datum")
    UTM_19S_PSAD56 = "EPSG:24879", _("UTM zone 19S, PSAD56 datum (older concession maps)")


class Site(models.Model):
    """A mining site. Its exact geometry is seen only by the producer, reviewers and buyers under contract."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")  # new or corrected, waiting for a reviewer
        APPROVED = "approved", _("Approved")  # gold may be offered from it
        REJECTED = "rejected", _("Rejected")  # refused, with a reason; may be corrected

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    producer = models.ForeignKey(Producer, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=120)
    concession_code = models.CharField(max_length=40)
    district = models.CharField(max_length=20, choices=District.choices)
    geometry = models.JSONField()  # GeoJSON Point or Polygon, WGS84, validated inside Peru
    latitude = models.FloatField()  # centroid, for rounding and distance; never shown exactly to the public
    longitude = models.FloatField()
    # a polygon's area measured in UTM zone 19S; sites stored before it was computed keep the declared one
    area_hectares = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    source_crs = models.CharField(max_length=10, choices=SourceCrs.choices, default=SourceCrs.WGS84)
    # Reference areas (protected areas, buffer zones) the site overlaps: [{kind, code, name, overlap_hectares}].
    # A flagged site is approved only when a reviewer acknowledges the overlaps with a reason.
    overlaps = models.JSONField(default=list, blank=True)
    flagged = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    review_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["producer", "concession_code"], name="site_concession_unique"),
            models.CheckConstraint(
                condition=Q(source_crs__in=[c.value for c in SourceCrs]), name="site_source_crs_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected"]), name="site_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-18.4, latitude__lte=0.0, longitude__gte=-81.4, longitude__lte=-68.6),
                name="site_inside_peru_bbox",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.concession_code})"


SITE_TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "approve": (("pending",), "approved"),
    "reject": (("pending",), "rejected"),
}


class ReferenceArea(models.Model):
    """An official polygon a site is compared with, loaded by an operator (`load_reference_areas`)."""

    class Kind(models.TextChoices):
        PROTECTED_AREA = "protected_area", _("Protected natural area")  # no mining: a site there is flagged
        BUFFER_ZONE = "buffer_zone", _("Buffer zone")  # around a protected area: a site there is flagged
        CONCESSION = "concession", _("Mining concession")  # the cadastre, for reference

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=60, blank=True)
    source = models.CharField(max_length=200)  # who published it and when: "SERNANP 2025"
    loaded_at = models.DateTimeField()
    geometry = models.JSONField()  # GeoJSON Polygon or MultiPolygon, WGS84

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["protected_area", "buffer_zone", "concession"]), name="reference_area_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["kind"], name="reference_area_kind_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


# Overlapping one of these flags a site for the reviewers.
FLAGGING_KINDS = (ReferenceArea.Kind.PROTECTED_AREA, ReferenceArea.Kind.BUFFER_ZONE)


class MemberMiner(models.Model):
    """A person on the producer's roster (no login). Personal data: admins and reviewers only."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        TITULAR = "titular", _("Title holder")
        WORKER = "worker", _("Worker")
        PALLAQUERA = "pallaquera", _("Pallaquera (ore sorter)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    producer = models.ForeignKey(Producer, on_delete=models.CASCADE, related_name="members")
    full_name = models.CharField(max_length=200)
    dni = models.CharField(max_length=8)
    birth_year = models.PositiveSmallIntegerField()
    sex = models.CharField(max_length=6, choices=Sex.choices)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(fields=["producer", "dni"], name="member_miner_dni_unique"),
            models.CheckConstraint(condition=Q(sex__in=["female", "male"]), name="member_miner_sex_valid"),
            models.CheckConstraint(condition=Q(birth_year__gte=1900), name="member_miner_birth_year_sane"),
        ]

    def __str__(self) -> str:
        return self.full_name
