"""The notifications the listings app sends."""

from django.utils.translation import gettext_lazy as _

from notifications.kinds import register

register(
    "sourcing_match",
    title=_("A new offer matches “%(request)s”"),
    body=_("%(producer)s published “%(listing)s”, which matches your sourcing request “%(request)s”."),
)
