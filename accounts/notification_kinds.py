"""The notifications the accounts app sends. Roles are stored as codes and translated for each reader."""

from django.utils.translation import gettext_lazy as _

from accounts.delegation import SCOPE_LABELS
from accounts.models import Role
from notifications.kinds import register

ROLE_LABELS = {"role": dict(Role.choices)}

register(
    "invitation_accepted",
    title=_("%(email)s joined %(organization)s"),
    body=_("%(email)s accepted the invitation and joined %(organization)s as %(role)s."),
    labels=ROLE_LABELS,
)
register(
    "membership_role_changed",
    title=_("Your role in %(organization)s changed"),
    body=_("You are now %(role)s in %(organization)s."),
    labels=ROLE_LABELS,
)
register(
    "membership_removed",
    title=_("You no longer belong to %(organization)s"),
    body=_("An administrator removed you from %(organization)s."),
)
register(
    "welcome",
    title=_("Welcome to Oro Responsable"),
    body=_("Your organisation %(organization)s is registered. Submit your KYC documents to start trading."),
)
register(
    "delegation_granted",
    title=_("%(organization)s delegated to you"),
    body=_(
        "%(organization)s lets you act for it on its %(scopes)s: send its id in X-Organization. You can see the "
        "delegation in your list of delegations."
    ),
    labels={"scopes": SCOPE_LABELS},
)
register(
    "delegation_revoked",
    title=_("%(organization)s revoked your delegation"),
    body=_("You can no longer act for %(organization)s on its %(scopes)s."),
    labels={"scopes": SCOPE_LABELS},
)
