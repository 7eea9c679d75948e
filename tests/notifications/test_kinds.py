"""Every notification kind renders, in both languages, with the parameters its callers actually send.

`SENT` is read off each `notify(` call site (grep -rn "notify(" --include=*.py); keep it in step when a call
changes. A kind with no row fails, so does a parameter a text names that no caller sends (it used to render
as the bare template), and so does one a caller sends that no text shows, unless `DATA_ONLY` lists it.
"""

from __future__ import annotations

import pytest
from django.utils import translation

from notifications.kinds import KINDS, check_params, placeholders, render
from notifications.services import notify
from tests.factories import UserFactory

BOTH_NAMES = ("type_es", "type_en")  # compliance's type_names(): the reader's language picks one
CONTRACT = ("buyer", "producer")  # trade/services.py _notify_move
DEPOSIT = ("buyer", "producer", "amount")  # trade/deposits.py _notify

SENT: dict[str, tuple[str, ...]] = {
    # accounts/services.py
    "welcome": ("organization",),
    "membership_role_changed": ("organization", "role"),
    "membership_removed": ("organization",),
    "invitation_accepted": ("email", "organization", "role"),
    # accounts/delegation.py
    "delegation_granted": ("organization", "scopes"),
    "delegation_revoked": ("organization", "scopes"),
    # producers/services.py
    "producer_submitted": ("organization",),
    "producer_verification_changed": ("organization", "status", "reason"),
    "site_reviewed": ("site", "organization", "status", "reason"),
    # compliance/services.py
    "evidence_decided": (*BOTH_NAMES, "document", "status", "reason"),
    "requirement_expiring": (*BOTH_NAMES, "document", "organization", "valid_until", "days"),
    "requirement_lapsed": (*BOTH_NAMES, "document", "organization", "valid_until", "days"),
    "kyc_decided": ("organization", "status", "reason"),
    # diligence/services.py
    "red_flag_opened": ("subject", "category_es", "category_en", "severity", "effect"),
    "red_flag_answered": ("organization", "subject", "category_es", "category_en"),
    "kyc_expiring": ("organization", "valid_until", "days"),
    "kyc_lapsed": ("organization", "valid_until"),
    # diligence/consent.py
    "pack_requested": ("buyer",),
    "pack_answered": ("producer", "status"),
    # listings/services.py
    "sourcing_match": ("request", "listing", "producer"),
    # trade/services.py, trade/notices.py, trade/deposits.py
    "inquiry_received": ("organization", "grams"),
    "inquiry_message": ("organization",),
    "inquiry_closed": ("organization",),
    "contract_proposed": ("organization", "version"),
    "contract_signed": (*CONTRACT, "version"),
    "contract_declined": (*CONTRACT, "reason"),
    "contract_withdrawn": (*CONTRACT, "reason"),
    "contract_cancelled": (*CONTRACT, "reason"),
    "contract_delivered": (*CONTRACT, "reason"),
    "contract_completed": (*CONTRACT, "reason"),
    "inquiry_listing_hidden": ("title", "producer"),
    "inquiry_listing_offered_again": ("title", "producer"),
    "deposit_paid": DEPOSIT,
    "deposit_failed": DEPOSIT,
    "deposit_refunded": (*DEPOSIT, "refunded"),
    "deposit_released": (*DEPOSIT, "paid_out", "reference"),
    # trade/snapshots.py
    "contract_evidence_withdrawn": (*CONTRACT, *BOTH_NAMES, "event", "evidence"),
    # settlement/records.py, settlement/payments.py (settlement.common.tell adds the two parties' names)
    "settlement_weighing_recorded": (*CONTRACT, "organization", "shipment", "grams"),
    "statement_issued": ("organization", "kind", "shipment", "amount"),
    "settlement_assay_recorded": (*CONTRACT, "organization", "shipment", "party", "au_per_mille"),
    "settlement_record_corrected": (*CONTRACT, "organization", "shipment", "record"),
    "settlement_payment_recorded": (*CONTRACT, "organization", "amount", "reference"),
    "settlement_payment_confirmed": (*CONTRACT, "organization", "amount", "reference"),
    "webhook_endpoint_disabled": ("url", "days"),
}

# Parameters some callers send that no text shows: data kept on the feed row for a client to read (a move's
# reason, the amount of a deposit), not written in the message. Listed exactly: one more or one fewer fails.
DATA_ONLY = {
    "requirement_lapsed": {"days", "valid_until"},  # compliance sends the reminder's figures to the lapse too
    "contract_declined": {"reason"},  # trade's _notify_move sends `reason` to every move
    "contract_withdrawn": {"reason"},
    "contract_delivered": {"reason"},
    "contract_completed": {"reason"},
    "deposit_failed": {"buyer"},  # the text names only the producer
    "deposit_released": {"amount"},  # the text shows what was paid out
    "contract_evidence_withdrawn": {"evidence"},  # the item's id, for a client to link to the contract's alert
}


def test_every_registered_kind_has_a_row():
    assert set(KINDS) == set(SENT)


@pytest.mark.parametrize("kind", sorted(SENT))
def test_each_kind_shows_exactly_what_its_callers_send_but_the_listed_data(kind):
    shown = set(SENT[kind]) - DATA_ONLY.get(kind, set())
    check_params(kind, dict.fromkeys(shown, "x"))  # nothing missing, nothing unused
    for name in DATA_ONLY.get(kind, set()):
        with pytest.raises(ValueError, match="unused parameters"):
            check_params(kind, dict.fromkeys(shown | {name}, "x"))


@pytest.mark.parametrize("kind", sorted(SENT))
@pytest.mark.parametrize("language", ["es", "en"])
def test_each_kind_renders_in_both_languages_with_every_parameter_filled(kind, language):
    params = {name: f"<{name}>" for name in SENT[kind]}
    with translation.override(language):
        title, body = render(kind, params)

    assert placeholders(kind, language) == placeholders(kind, "en")  # the translation names the same ones
    assert "%(" not in title + body
    bilingual = {name for name in placeholders(kind) if f"{name}_es" in SENT[kind]}  # `type`, `category`
    assert [name for name in placeholders(kind) - bilingual if f"<{name}>" not in title + body] == []
    for name in bilingual:
        assert f"<{name}_{language}>" in title + body


def test_a_parameter_missing_fails_loudly_and_stores_nothing(db):
    with pytest.raises(ValueError, match=r"'membership_role_changed': missing parameters \['role'\]"):
        notify(recipients=[UserFactory()], kind="membership_role_changed", params={"organization": "Coop"})

    with pytest.raises(KeyError):
        render("membership_role_changed", {"organization": "Coop"})


def test_a_parameter_no_text_shows_is_refused_by_the_strict_check():
    with pytest.raises(ValueError, match=r"unused parameters \['colour'\]"):
        check_params("welcome", {"organization": "Coop", "colour": "gold"})
