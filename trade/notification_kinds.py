"""The notifications the trade app sends."""

from django.utils.translation import gettext_lazy as _

from notifications.kinds import register

register(
    "inquiry_received",
    title=_("New inquiry from %(organization)s"),
    body=_("%(organization)s asks about %(grams)s g of gold. Answer in the inquiry's thread."),
)
register(
    "inquiry_message",
    title=_("New message from %(organization)s"),
    body=_("%(organization)s wrote in your inquiry's thread."),
)
register(
    "inquiry_closed",
    title=_("%(organization)s closed an inquiry"),
    body=_("%(organization)s closed the inquiry: no more messages can be written in it."),
)
register(
    "contract_proposed",
    title=_("%(organization)s proposed contract terms"),
    body=_(
        "%(organization)s proposed version %(version)s of the contract's terms. "
        "Accept it, decline it or propose another."
    ),
)
register(
    "contract_signed",
    title=_("Contract signed between %(buyer)s and %(producer)s"),
    body=_("Version %(version)s of the terms was accepted: the contract is signed and the quantity is reserved."),
)
register(
    "contract_declined",
    title=_("Contract declined"),
    body=_("The contract between %(buyer)s and %(producer)s was declined."),
)
register(
    "contract_withdrawn",
    title=_("Contract proposal withdrawn"),
    body=_("The proposal for the contract between %(buyer)s and %(producer)s was withdrawn."),
)
register(
    "contract_cancelled",
    title=_("Contract cancelled"),
    body=_(
        "The signed contract between %(buyer)s and %(producer)s was cancelled and its quantity released. %(reason)s"
    ),
)
register(
    "contract_delivered",
    title=_("Gold delivered"),
    body=_(
        "%(producer)s marked the gold of its contract with %(buyer)s as delivered. Confirm it to complete the contract."
    ),
)
register(
    "contract_completed",
    title=_("Contract completed"),
    body=_("%(buyer)s confirmed the delivery: the contract with %(producer)s is completed."),
)
register(
    "inquiry_listing_hidden",
    title=_("A listing you asked about is no longer offered"),
    body=_(
        "%(title)s, by %(producer)s, is not offered today (its evidence lapsed, or the producer paused or sold "
        "it). Your inquiry stays open; you will be told if it is offered again."
    ),
)
register(
    "inquiry_listing_offered_again",
    title=_("A listing you asked about is offered again"),
    body=_("%(title)s, by %(producer)s, is offered again. Your inquiry is still open."),
)
register(
    "deposit_paid",
    title=_("Deposit paid"),
    body=_(
        "The deposit of %(amount)s on the contract between %(buyer)s and %(producer)s was paid: the platform "
        "holds it until the gold is delivered."
    ),
)
register(
    "deposit_failed",
    title=_("Deposit payment failed"),
    body=_(
        "The payment of the deposit of %(amount)s on the contract with %(producer)s failed. Pay it again with "
        "another card."
    ),
)
register(
    "deposit_refunded",
    title=_("Deposit refunded"),
    body=_(
        "%(refunded)s of the deposit of %(amount)s on the contract between %(buyer)s and %(producer)s was "
        "refunded to the buyer."
    ),
)
register(
    "deposit_released",
    title=_("Deposit paid out"),
    body=_(
        "The deposit of the contract with %(buyer)s was paid out to %(producer)s: %(paid_out)s, transfer "
        "reference %(reference)s."
    ),
)
register(
    "contract_evidence_withdrawn",
    title=_("%(type)s behind a contract: %(event)s"),
    body=_(
        "%(type)s, part of the compliance evidence accepted with the contract between %(buyer)s and "
        "%(producer)s, was %(event)s. The contract's compliance alerts show it."
    ),
    labels={"event": {"revoked": _("revoked"), "superseded": _("superseded by a newer document")}},
)
