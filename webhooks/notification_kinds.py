"""The notifications the webhooks app sends."""

from django.utils.translation import gettext_lazy as _

from notifications.kinds import register

register(
    "webhook_endpoint_disabled",
    title=_("A webhook endpoint was disabled"),
    body=_(
        "Deliveries to %(url)s have failed for %(days)s days, so it receives nothing more. Fix the receiver, then "
        "enable the endpoint again: the deliveries it missed can be replayed."
    ),
)
