"""Template helpers of the console's pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def field_widget(field: BoundField, autocomplete: str = "") -> SafeString:
    """The field's input, tied to its help and errors for screen readers (`aria-describedby`, `aria-invalid`)."""
    attrs: dict[str, Any] = {}
    described = []
    if field.help_text:
        described.append(f"{field.id_for_label}-help")
    if field.errors:
        described.append(f"{field.id_for_label}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    return field.as_widget(attrs=attrs)


@register.filter
def money(value: Any) -> str:
    """A Money as the API gives it (`{"amount_minor": 8350, "currency": "USD"}`): `USD 83.50`."""
    if not value:
        return "—"
    minor = int(value["amount_minor"])
    sign = "-" if minor < 0 else ""
    return f"{value['currency']} {sign}{abs(minor) // 100:,}.{abs(minor) % 100:02d}"


@register.simple_tag(takes_context=True)
def in_language(context: Any, row: Any, field: str) -> str:
    """`row["title_es"]` or `row["title_en"]` by the page's language, the other when it is empty."""
    from django.utils.translation import get_language

    first, second = ("es", "en") if (get_language() or "es").startswith("es") else ("en", "es")
    return str(row.get(f"{field}_{first}") or row.get(f"{field}_{second}") or "")


@register.filter
def getlist(query: Any, name: str) -> list[str]:
    return list(query.getlist(name)) if hasattr(query, "getlist") else []


@register.filter
def field_errors(refusal: Any, name: str) -> list[str]:
    return list(refusal.for_field(name)) if refusal else []


def _choices() -> dict[str, dict[str, Any]]:
    from accounts.models import DelegationScope
    from compliance.models import Claim
    from listings.models import FinenessBasis, Form, Incoterm, PriceBasis
    from producers.models import District
    from provenance.models import AssayMethod, CustodyKind, ProcessingMethod
    from trade.models import DepositRefund, DepositStatus

    return {
        "deposit_status": dict(DepositStatus.choices),
        "refund_status": dict(DepositRefund.Status.choices),
        "assurance": dict(Claim.Assurance.choices),
        "delegation_scope": dict(DelegationScope.choices),
        "district": dict(District.choices),
        "form": dict(Form.choices),
        "fineness_basis": dict(FinenessBasis.choices),
        "price_basis": dict(PriceBasis.choices),
        "incoterm": dict(Incoterm.choices),
        "processing_method": dict(ProcessingMethod.choices),
        "assay_method": dict(AssayMethod.choices),
        "custody_kind": dict(CustodyKind.choices),
    }


@register.filter
def label(value: Any, kind: str) -> str:
    """The display name of a code the API returns (`huepetuhe` -> `Huepetuhe`), in the active language."""
    return str(_choices().get(kind, {}).get(value, value))


@register.filter
def named(code: str, names: dict[str, str]) -> str:
    """A claim's or an evidence type's name from `names` (compliance.catalogue.names), else its code."""
    return names.get(code, code) if names else code


@register.filter
def getitem(mapping: Any, key: str) -> Any:
    return mapping.get(key, "") if hasattr(mapping, "get") else ""


@register.simple_tag
def form_key() -> SafeString:
    """The hidden idempotency key of a create form, new each time the form is shown (console.views.base)."""
    import uuid

    from django.utils.html import format_html

    return format_html('<input type="hidden" name="idempotency_key" value="{}">', uuid.uuid4())
