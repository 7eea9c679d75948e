"""An issued statement as a PDF for the cooperative's accounts (fpdf2, DejaVu Sans for ‰, × and accents):
the parties, every line with its figure and its rule, the prices and rates used, and the digest of the issued
document, so the paper can be matched to the record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.money import MINOR_UNIT_EXPONENT
from diligence.pack import FONT, FONT_BOLD


def _figure(line: dict[str, Any]) -> str:
    if "amount" in line:
        amount = line["amount"]
        major = Decimal(amount["amount_minor"]).scaleb(-MINOR_UNIT_EXPONENT[amount["currency"]])
        sign = "−" if line.get("sign") == -1 else ""
        return f"{sign}{major:,.{MINOR_UNIT_EXPONENT[amount['currency']]}f} {amount['currency']}"
    if "grams" in line:
        return f"{line['grams']} g"
    if "per_mille" in line:
        return f"{line['per_mille']} ‰"
    if "troy_ounces" in line:
        return f"{line['troy_ounces']} oz"
    return f"{line['price']} {line['unit']}"


def render_statement(document: dict[str, Any], digest: str, issued_at: dt.datetime, *, compress: bool = True) -> bytes:
    from fpdf import FPDF  # imported when a PDF is asked for

    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.add_page()
    width = pdf.epw

    def text(value: str, size: int = 9, bold: bool = False) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(width, 5 if size < 12 else 8, value, new_x="LMARGIN", new_y="NEXT")

    kind = _("Final statement") if document["kind"] == "final" else _("Provisional statement")
    shipment, seller, buyer = _("shipment"), _("Seller"), _("Buyer")
    contract, version, terms_hash = _("Contract"), _("version"), _("Terms hash")
    issued, digest_label = _("Issued"), _("SHA-256 of the statement")
    text(f"{kind}: {shipment} {document['shipment']}", 15, bold=True)
    text(f"{seller}: {document['producer']}")
    text(f"{buyer}: {document['buyer']}")
    text(f"{contract} {document['contract']}, {version} {document['version']}")
    text(f"{terms_hash}: {document['terms_hash']}")
    text(f"{issued}: {issued_at.isoformat(timespec='seconds')}")
    text(f"{digest_label}: {digest}")
    pdf.ln(3)
    for line in document["lines"]:
        bold = line["key"] in ("net_value", "final_balance", "provisional_payment")
        pdf.set_font("DejaVu", "B" if bold else "", 10)
        pdf.cell(width * 0.55, 6, line["label"])
        pdf.cell(width * 0.45, 6, _figure(line), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 7)
        pdf.multi_cell(width, 4, line["rule"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    prices = document.get("prices") or {}
    for name, price in prices.items():
        if name == "rate":
            figure = f"{price['base']}/{price['quote']} {price['rate']} ({price['date']})"
        else:
            figure = f"{price['benchmark']} {price['usd_per_troy_ounce']} USD/oz ({', '.join(price['dates'])})"
        sample = " — " + _("sample figure, not market data") if price.get("sample") else ""
        price_used = _("Price used")
        text(f"{price_used}: {figure}{sample}")
    text(document["rounding"])
    return bytes(pdf.output())
