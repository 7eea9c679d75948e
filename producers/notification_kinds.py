"""The notifications the producers app sends; states are translated for each reader."""

from django.utils.translation import gettext_lazy as _

from notifications.kinds import register
from producers.models import Site, Verification

register(
    "producer_verification_changed",
    title=_("%(organization)s: verification %(status)s"),
    body=_("The network changed the verification of %(organization)s to %(status)s. %(reason)s"),
    labels={"status": dict(Verification.choices)},
)
register(
    "producer_submitted",
    title=_("%(organization)s asks to be verified"),
    body=_("%(organization)s submitted its profile for verification."),
)
register(
    "site_reviewed",
    title=_("Site %(site)s: %(status)s"),
    body=_("The network reviewed the site %(site)s of %(organization)s: %(status)s. %(reason)s"),
    labels={"status": dict(Site.Status.choices)},
)
