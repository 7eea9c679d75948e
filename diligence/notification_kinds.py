"""The notifications the diligence app sends. The producer is never told which reviewer opened a flag."""

from django.utils.translation import gettext_lazy as _

from diligence.models import Severity
from notifications.kinds import register

register(
    "red_flag_opened",
    title=_("A red flag on %(subject)s"),
    body=_(
        "The network's reviewers opened a red flag on %(subject)s: %(category)s (severity %(severity)s). Read "
        "the facts and answer them in your account. %(effect)s"
    ),
    labels={
        "severity": dict(Severity.choices),
        "effect": {
            "suspends": _("While it is open, the offers it concerns are hidden from buyers."),
            "none": "",
        },
    },
)
register(
    "red_flag_answered",
    title=_("%(organization)s answered a red flag"),
    body=_("%(organization)s answered the red flag %(category)s on %(subject)s."),
)
register(
    "pack_requested",
    title=_("%(buyer)s asks for your due-diligence pack"),
    body=_(
        "%(buyer)s asks to read your due-diligence pack: your legal identity, owners, approved evidence, sites, "
        "lots and red flags. Grant or decline it in your account; you can revoke it later."
    ),
)
register(
    "pack_answered",
    title=_("%(producer)s answered your request for its pack"),
    body=_("%(producer)s %(status)s your request to read its due-diligence pack."),
    labels={"status": {"granted": _("granted"), "declined": _("declined"), "revoked": _("revoked")}},
)
