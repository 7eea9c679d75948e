"""The notifications the settlement app sends: each record and payment is told to the other side."""

from django.utils.translation import gettext_lazy as _

from notifications.kinds import register

register(
    "settlement_weighing_recorded",
    title=_("%(organization)s recorded a weight"),
    body=_(
        "%(organization)s recorded its gross weight of shipment %(shipment)s of the contract between %(buyer)s and "
        "%(producer)s: %(grams)s g."
    ),
)
register(
    "settlement_assay_recorded",
    title=_("%(organization)s recorded an assay"),
    body=_(
        "%(organization)s recorded the %(party)s's assay of shipment %(shipment)s of the contract between "
        "%(buyer)s and %(producer)s: %(au_per_mille)s per mille of gold."
    ),
    labels={"party": {"seller": _("seller"), "buyer": _("buyer"), "umpire": _("umpire laboratory")}},
)
register(
    "settlement_record_corrected",
    title=_("%(organization)s corrected its %(record)s"),
    body=_(
        "%(organization)s corrected its %(record)s of shipment %(shipment)s of the contract between %(buyer)s and "
        "%(producer)s. The shipment shows the figures now recorded."
    ),
    labels={"record": {"weighing": _("weighing"), "assay": _("assay")}},
)
register(
    "settlement_payment_recorded",
    title=_("%(organization)s recorded a payment to you"),
    body=_(
        "%(organization)s says it paid %(amount)s (bank reference %(reference)s) under the contract between "
        "%(buyer)s and %(producer)s. Confirm it once the money has arrived."
    ),
)
register(
    "settlement_payment_confirmed",
    title=_("Payment confirmed"),
    body=_(
        "%(organization)s confirmed that your payment of %(amount)s (bank reference %(reference)s) under the "
        "contract between %(buyer)s and %(producer)s arrived."
    ),
)
register(
    "statement_issued",
    title=_("%(organization)s issued a settlement statement"),
    body=_(
        "%(organization)s issued the %(kind)s statement of shipment %(shipment)s: %(amount)s. "
        "Download it from the contract."
    ),
)
