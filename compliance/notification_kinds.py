"""The notifications the compliance app sends."""

from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from compliance.models import EvidenceStatus
from notifications.kinds import register

STATUS_LABELS = {"status": dict(EvidenceStatus.choices)}

register(
    "evidence_decided",
    title=_("%(type)s: %(status)s"),
    body=_("The network's reviewers decided on %(type)s (%(document)s): %(status)s. %(reason)s"),
    labels=STATUS_LABELS,
)
register(
    "requirement_expiring",
    title=_("%(type)s lapses in %(days)s days"),
    body=_(
        "%(type)s (%(document)s) of %(organization)s is valid until %(valid_until)s. Upload the renewed "
        "document before then, or offers that depend on it will be hidden."
    ),
)
register(
    "requirement_lapsed",
    title=_("%(type)s lapsed today"),
    body=_(
        "%(type)s (%(document)s) of %(organization)s stopped being valid today. Offers that depend on it are "
        "hidden until a renewed document is approved."
    ),
)
register(
    "kyc_decided",
    title=_("KYC of %(organization)s: %(status)s"),
    body=_("The network's reviewers decided on the KYC of %(organization)s: %(status)s. %(reason)s"),
    labels={"status": dict(Organization.KycStatus.choices)},
)
register(
    "kyc_expiring",
    title=_("The KYC of %(organization)s lapses in %(days)s days"),
    body=_(
        "The KYC verification of %(organization)s is valid until %(valid_until)s. Upload renewed KYC documents "
        "and submit the KYC again before then: once it lapses, %(organization)s cannot propose or sign "
        "contracts until a reviewer verifies it again."
    ),
)
register(
    "kyc_lapsed",
    title=_("The KYC of %(organization)s lapsed"),
    body=_(
        "The KYC verification of %(organization)s was valid until %(valid_until)s. Until a reviewer verifies it "
        "again, %(organization)s cannot propose or sign contracts; it still reads its contracts, inquiries and "
        "listings. Upload renewed KYC documents and submit the KYC again."
    ),
)
