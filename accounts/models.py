"""People, organisations and who belongs where."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import clock


class Language(models.TextChoices):
    ES = "es", _("Spanish")
    EN = "en", _("English")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an e-mail address; acts for the organisations they belong to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)  # stored lower-case
    full_name = models.CharField(_("full name"), max_length=200)
    preferred_language = models.CharField(max_length=2, choices=Language.choices, default=Language.ES)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            models.CheckConstraint(condition=models.Q(preferred_language__in=["es", "en"]), name="user_language_valid"),
        ]

    def __str__(self) -> str:
        return self.email


class Organization(models.Model):
    """A producer (a woman miner or a cooperative), a buyer, the network that reviews them, or a support
    organisation whose field officers help producers."""

    class Kind(models.TextChoices):
        PRODUCER = "producer", _("Producer")  # a miner or a cooperative/association/company of miners
        BUYER = "buyer", _("Buyer")  # refiner, jeweller, exporter...
        NETWORK = "network", _("Network")  # the women miners' network: its reviewers decide
        SUPPORT = "support", _("Support organisation")  # an NGO: its members are field officers producers delegate to

    class BuyerType(models.TextChoices):
        REFINER = "refiner", _("Refiner")
        JEWELLER = "jeweller", _("Jeweller")
        TRADER_EXPORTER = "trader_exporter", _("Trader or exporter")
        MANUFACTURER = "manufacturer", _("Manufacturer")
        MINT = "mint", _("Mint")
        OTHER = "other", _("Other")

    class KycStatus(models.TextChoices):
        UNVERIFIED = "unverified", _("Unverified")  # nothing submitted yet
        SUBMITTED = "submitted", _("Submitted")  # documents sent, waiting for a reviewer
        VERIFIED = "verified", _("Verified")  # a reviewer approved: may contract and pay deposits
        REJECTED = "rejected", _("Rejected")  # a reviewer refused; may submit again

    # What the API shows: the stored status, except that a verification past its validity reads `lapsed`.
    KYC_EFFECTIVE_STATUSES = ("unverified", "submitted", "verified", "rejected", "lapsed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    legal_name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    tax_id = models.CharField(max_length=40, blank=True, help_text="RUC for Peru, validated with its check digit")
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    buyer_type = models.CharField(max_length=20, choices=BuyerType.choices, blank=True)
    kyc_status = models.CharField(max_length=12, choices=KycStatus.choices, blank=True)
    # Set by each verification (compliance.kyc.kyc_transition): when, and the last day it counts (the
    # verified day plus the months of the KYC policy in force that day). Kept through a renewal, so that a
    # buyer renewing early stays cleared until then; "lapsed" is derived from it at read time.
    kyc_verified_at = models.DateTimeField(null=True, blank=True)
    kyc_valid_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["producer", "buyer", "network", "support"]), name="org_kind_valid"
            ),
            # Buyer type and KYC status belong to buyers, and every buyer has both.
            models.CheckConstraint(
                condition=(
                    models.Q(kind="buyer", kyc_status__in=["unverified", "submitted", "verified", "rejected"])
                    & ~models.Q(buyer_type="")
                )
                | (~models.Q(kind="buyer") & models.Q(kyc_status="", buyer_type="")),
                name="org_buyer_fields_only_on_buyers",
            ),
            # Whatever is verified carries the validity it was granted (and only buyers have one).
            models.CheckConstraint(
                condition=~models.Q(kyc_status="verified") | models.Q(kyc_valid_until__isnull=False),
                name="org_verified_kyc_has_validity",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="buyer") | models.Q(kyc_valid_until__isnull=True, kyc_verified_at__isnull=True),
                name="org_kyc_validity_only_on_buyers",
            ),
            # There is one network; its reviewers decide on everybody else.
            models.UniqueConstraint(fields=["kind"], condition=models.Q(kind="network"), name="org_single_network"),
            models.UniqueConstraint(
                fields=["country", "tax_id"], condition=~models.Q(tax_id=""), name="org_tax_id_unique_per_country"
            ),
        ]
        indexes = [models.Index(fields=["kind", "legal_name"], name="org_kind_name_idx")]

    def __str__(self) -> str:
        return self.legal_name

    # --- KYC, judged against today in Lima, so it lapses the same day with no job --------------------------
    def kyc_lapsed_on(self, today: dt.date | None = None) -> dt.date | None:
        """The first day the buyer's last verification no longer counts, once that day has come and no newer
        verification replaced it (a verification always grants a validity that includes its own day); None
        for a buyer never verified or still within its validity."""
        today = today or clock.today_lima()
        if self.kyc_valid_until is None or self.kyc_valid_until >= today:
            return None
        return self.kyc_valid_until + dt.timedelta(days=1)

    def kyc_effective_status(self, today: dt.date | None = None) -> str:
        """The stored status, but `lapsed` for a verification past its validity ("" for non-buyers)."""
        if self.kyc_status == self.KycStatus.VERIFIED and self.kyc_lapsed_on(today) is not None:
            return "lapsed"
        return self.kyc_status

    def kyc_cleared(self, today: dt.date | None = None) -> bool:
        """May sign a contract: verified and within the validity, or renewing (submitted again) while the
        last verification still counts. A rejection ends it at once."""
        today = today or clock.today_lima()
        return (
            self.kyc_status in (self.KycStatus.VERIFIED, self.KycStatus.SUBMITTED)
            and self.kyc_valid_until is not None
            and self.kyc_valid_until >= today
        )


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")  # manages the organisation, its members; signs for it
    MEMBER = "member", _("Member")  # works for the organisation, cannot sign or manage members
    REVIEWER = "reviewer", _("Reviewer")  # network organisation only: decides on evidence and verification


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["admin", "member", "reviewer"]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class DelegationScope(models.TextChoices):
    """What a delegate may do for the producer (core.permissions gates each operation on one scope)."""

    EVIDENCE = "evidence", _("Evidence")  # the producer's evidence items and files, and the requirements to meet
    SITES = "sites", _("Sites")  # the producer's mining sites and their locations


class Delegation(models.Model):
    """A producer organisation lets a field officer of a support organisation act for it, within scopes.

    Granted and revoked by the producer's admins. Expired is computed from `valid_until` (the last day it
    counts, in Lima), never stored: an expired delegation stops working the next day with no job.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")  # in force until `valid_until` (when set)
        REVOKED = "revoked", _("Revoked")  # ended by a producer's admin (or replaced by a new grant once expired)

    # move → (from, to); a transition is a compare-and-set on `status`.
    ALLOWED_TRANSITIONS = {"revoke": (("active",), "revoked")}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="delegations_granted")
    officer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="delegations")
    # The officer's support organisation through which they act (they must still belong to it).
    support_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    scope_evidence = models.BooleanField(default=False)
    scope_sites = models.BooleanField(default=False)
    valid_until = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "revoked"]), name="delegation_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(scope_evidence=True) | models.Q(scope_sites=True), name="delegation_has_a_scope"
            ),
            models.CheckConstraint(
                condition=(models.Q(status="active") & models.Q(revoked_at__isnull=True, revoked_by__isnull=True))
                | (models.Q(status="revoked") & models.Q(revoked_at__isnull=False)),
                name="delegation_revocation_recorded",
            ),
            # At most one active delegation per producer and officer.
            models.UniqueConstraint(
                fields=["organization", "officer"], condition=models.Q(status="active"), name="delegation_one_active"
            ),
        ]
        indexes = [models.Index(fields=["officer", "status"], name="delegation_officer_idx")]

    def __str__(self) -> str:
        return f"{self.organization} → {self.officer} ({', '.join(self.scopes)})"

    @property
    def scopes(self) -> list[str]:
        return [
            scope
            for scope, granted in (
                (DelegationScope.EVIDENCE, self.scope_evidence),
                (DelegationScope.SITES, self.scope_sites),
            )
            if granted
        ]

    def expired(self, today: dt.date | None = None) -> bool:
        return self.valid_until is not None and self.valid_until < (today or clock.today_lima())

    def effective_status(self, today: dt.date | None = None) -> str:
        """`active`, `revoked`, or `expired` for an active one past its last day."""
        if self.status == self.Status.ACTIVE and self.expired(today):
            return "expired"
        return self.status


class Invitation(models.Model):
    """A single-use, expiring invitation sent by e-mail; only the hash of its token is stored."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("Join an organisation")  # sent by an organisation's admin
        PRODUCER_ORGANIZATION = "producer_organization", _("Create a producer organisation")  # sent by the network
        SUPPORT_ORGANIZATION = "support_organization", _("Create a support organisation")  # sent by the network

    # The kinds that create an organisation on acceptance, and the kind each creates.
    CREATES = {"producer_organization": "producer", "support_organization": "support"}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # The organisation to join. For a producer-organisation invitation it is created on acceptance.
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    invited_by_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices)
    legal_name = models.CharField(max_length=200, blank=True)  # of the producer or support organisation to create
    country = models.CharField(max_length=2, blank=True)
    message = models.TextField(blank=True, max_length=2000)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="member") & models.Q(organization__isnull=False))
                | (
                    models.Q(kind__in=["producer_organization", "support_organization"])
                    & ~models.Q(legal_name="")
                    & models.Q(role="admin")
                ),
                name="invitation_kind_fields",
            ),
            models.CheckConstraint(
                condition=~(models.Q(accepted_at__isnull=False) & models.Q(revoked_at__isnull=False)),
                name="invitation_not_both_accepted_and_revoked",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["admin", "member", "reviewer"]), name="invitation_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.email}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


DEVICE_NAME_MAX_LENGTH = 100


class TokenDevice(models.Model):
    """The device a sign-in token was issued to: one row per knox token, deleted with it.

    knox keeps the token (`knox.AuthToken`: the hash of the secret, its owner, when it was made and when it expires);
    this row gives it what its owner sees in `auth/tokens/`: an id of its own (never the token's key or hash), the
    device's name and when it was last used. A side table rather than a swapped token model: knox's table, its
    hashing and its expiry clean-up stay as knox ships them, tokens issued before this table existed keep working
    (migration 0004 gave each one a row), and a token deleted by any path (logout, expiry, a refresh) takes its
    row with it (`CASCADE`).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token = models.OneToOneField("knox.AuthToken", on_delete=models.CASCADE, related_name="device")
    device_name = models.CharField(max_length=DEVICE_NAME_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField()  # the token's `created`, here so that the list pages on it
    # Written at most once a minute per token (`accounts.auth.LAST_USED_RESOLUTION`), never on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.device_name or str(self.pk)
