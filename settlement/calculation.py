"""The settlement statement of one shipment, computed from the terms, the weights, the assays and the prices
(docs/settlement.md). Pure: no database, no clock; `settlement.statements` gathers the inputs.

Every line carries its figure and the formula that produced it, written with the figures themselves
("479.200 g × 920.3 ‰ / 1000"), so a metals accountant can check the statement with a pencil. Rounding is
half to even, line by line, to the milligram for weights, to 0.0001 troy ounce for ounces, and to the minor
unit of the contract's currency for money; totals add the rounded lines, so the lines always add up.
Troy ounces are always ounces of fine metal, except the gross ounces a charge per gross ounce is reckoned on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from core.money import MINOR_UNIT_EXPONENT
from core.units import GRAMS_PER_TROY_OUNCE

MG = Decimal("0.001")
OUNCE_PLACES = Decimal("0.0001")
PER_MILLE_PLACES = Decimal("0.1")
PRICE_PLACES = Decimal("0.001")


def _even(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_EVEN)


def _minor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _bp(value: int) -> str:
    return f"{Decimal(value) / 100} %"


def _fmt_money(amount_minor: int, currency: str) -> str:
    return f"{Decimal(amount_minor).scaleb(-MINOR_UNIT_EXPONENT[currency])} {currency}"


@dataclass(frozen=True)
class Charge:
    label: str
    kind: str  # per_troy_ounce_gross | per_lot | percent_of_value
    amount_minor: int | None = None
    currency: str | None = None
    percent_bp: int | None = None


@dataclass(frozen=True)
class Terms:
    """The signed terms a statement needs, in the units the models store."""

    currency: str
    price_basis: str  # fixed | lbma_am | lbma_pm
    price_per_fine_gram_minor: int | None
    lbma_adjustment_bp: int | None
    gold_payable_bp: int
    gold_minimum_fineness: Decimal
    silver_payable_bp: int
    silver_minimum_fineness: Decimal
    silver_price_per_fine_gram_minor: int | None
    premium_per_kg_fine_minor: int
    premium_currency: str
    provisional_bp: int
    splitting_limit: Decimal
    within_limit_rule: str  # buyer | seller | mean
    umpire_cost: str  # farther | buyer | seller | shared
    charges: tuple[Charge, ...] = ()
    minimum_price_bp: int | None = None  # a certified standard's minimum, as a share of the LBMA price
    certification: str | None = None  # the standard's claim code


@dataclass(frozen=True)
class Price:
    """A USD price per troy ounce of fine metal and where it comes from (one fix, or a mean of fixes)."""

    usd_per_troy_ounce: Decimal
    benchmark: str
    dates: tuple[str, ...]  # ISO dates of the fixes used
    sample: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "dates": list(self.dates),
            "usd_per_troy_ounce": str(self.usd_per_troy_ounce),
            "sample": self.sample,
        }


@dataclass(frozen=True)
class Rate:
    base: str
    quote: str
    rate: Decimal
    date: str
    sample: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "quote": self.quote,
            "rate": str(self.rate),
            "date": self.date,
            "sample": self.sample,
        }


@dataclass(frozen=True)
class Assay:
    au_per_mille: Decimal
    ag_per_mille: Decimal = Decimal("0.0")
    cost_minor: int | None = None  # the umpire's fee, in the contract's currency


@dataclass(frozen=True)
class Inputs:
    gross_grams: Decimal  # declared (provisional) or received (final)
    seller: Assay | None
    buyer: Assay | None = None
    umpire: Assay | None = None
    gold_price: Price | None = None  # needed by LBMA bases and by certified minimums
    silver_price: Price | None = None  # needed when silver is paid on an LBMA basis
    rate: Rate | None = None  # needed when an amount is in another currency than the contract's
    lots: int = 1
    provisional_paid_minor: int = 0  # final: the provisional statement's amount


class Waiting(Exception):
    """The statement cannot be computed yet; `missing` says what it waits for (codes)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


@dataclass
class Statement:
    kind: str
    currency: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    net_value_minor: int = 0
    amount_due_minor: int = 0
    prices: dict[str, Any] = field(default_factory=dict)

    def weight(self, key: str, grams: Decimal, rule: str) -> Decimal:
        self.lines.append({"key": key, "grams": str(grams), "rule": rule})
        return grams

    def fineness(self, key: str, per_mille: Decimal, rule: str) -> Decimal:
        self.lines.append({"key": key, "per_mille": str(per_mille), "rule": rule})
        return per_mille

    def ounces(self, key: str, ounces: Decimal, rule: str) -> Decimal:
        self.lines.append({"key": key, "troy_ounces": str(ounces), "rule": rule})
        return ounces

    def price(self, key: str, value: Decimal, unit: str, rule: str) -> Decimal:
        self.lines.append({"key": key, "price": str(value), "unit": unit, "rule": rule})
        return value

    def money(self, key: str, amount_minor: int, rule: str, *, sign: int = 1) -> int:
        """A money line in the contract's currency; `sign` -1 for a deduction (shown as a positive amount)."""
        self.lines.append(
            {
                "key": key,
                "amount": {"amount_minor": amount_minor, "currency": self.currency},
                "sign": sign,
                "rule": rule,
            }
        )
        return amount_minor

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "currency": self.currency,
            "lines": self.lines,
            "net_value": {"amount_minor": self.net_value_minor, "currency": self.currency},
            "amount_due": {"amount_minor": self.amount_due_minor, "currency": self.currency},
            "prices": self.prices,
            "rounding": "half to even, line by line: weights to 0.001 g, ounces to 0.0001 oz, money to the minor unit",
        }


def settling_assay(terms: Terms, inputs: Inputs) -> tuple[Assay, str]:
    """The assay a final statement settles on, and the rule that chose it. Beyond the splitting limit only the
    umpire's result settles (Waiting for it until recorded); within it, the terms' rule."""
    if inputs.buyer is None or inputs.seller is None:
        raise Waiting(
            [name for name, assay in (("seller_assay", inputs.seller), ("buyer_assay", inputs.buyer)) if not assay]
        )
    difference = abs(inputs.buyer.au_per_mille - inputs.seller.au_per_mille)
    gap = f"|{inputs.buyer.au_per_mille} − {inputs.seller.au_per_mille}| = {difference} ‰"
    if difference > terms.splitting_limit:
        if inputs.umpire is None:
            raise Waiting(["umpire_assay"])
        return inputs.umpire, f"{gap} > splitting limit {terms.splitting_limit} ‰: umpire"
    within = f"{gap} ≤ splitting limit {terms.splitting_limit} ‰"
    if terms.within_limit_rule == "buyer":
        return inputs.buyer, f"{within}: buyer's"
    if terms.within_limit_rule == "seller":
        return inputs.seller, f"{within}: seller's"
    au = _even((inputs.buyer.au_per_mille + inputs.seller.au_per_mille) / 2, Decimal("0.01"))
    ag = _even((inputs.buyer.ag_per_mille + inputs.seller.ag_per_mille) / 2, Decimal("0.01"))
    return Assay(au, ag), f"{within}: mean of the two, half to even to 0.01 ‰"


def _convert(amount_minor: int, source: str, target: str, rate: Rate | None) -> tuple[int, str]:
    """An amount in the contract's currency, and the rule; Waiting for a rate when one is needed."""
    if source == target:
        return amount_minor, ""
    if rate is None:
        raise Waiting(["exchange_rate"])
    major = Decimal(amount_minor).scaleb(-MINOR_UNIT_EXPONENT[source])
    converted = major * rate.rate if source == rate.base else major / rate.rate
    result = _minor(converted.scaleb(MINOR_UNIT_EXPONENT[target]))
    operator = "×" if source == rate.base else "÷"
    return result, f" {operator} {rate.rate} {rate.base}/{rate.quote} of {rate.date}"


def _certified_floor(terms: Terms, inputs: Inputs) -> Decimal | None:
    """The certified minimum in USD per troy ounce (exact), or None for an offer that is not certified."""
    if terms.minimum_price_bp is None:
        return None
    if inputs.gold_price is None:
        raise Waiting(["gold_price"])
    return inputs.gold_price.usd_per_troy_ounce * terms.minimum_price_bp / Decimal(10000)


def _gold_value(terms: Terms, inputs: Inputs, statement: Statement, payable: Decimal, ounces: Decimal) -> None:
    """The gold line: payable fine grams × the agreed price per fine gram (fixed), or payable fine ounces × the
    LBMA price adjusted (LBMA); a certified minimum above the agreed price replaces it."""
    currency = terms.currency
    floor_oz = _certified_floor(terms, inputs)
    if terms.price_basis == "fixed":
        assert terms.price_per_fine_gram_minor is not None
        per_gram = Decimal(terms.price_per_fine_gram_minor)
        rule = f"{payable} g × {_fmt_money(terms.price_per_fine_gram_minor, currency)} per fine gram"
        if floor_oz is not None:
            floor = floor_oz.scaleb(MINOR_UNIT_EXPONENT["USD"]) / GRAMS_PER_TROY_OUNCE
            conversion = ""
            if currency != "USD":
                if inputs.rate is None:
                    raise Waiting(["exchange_rate"])
                floor = floor * inputs.rate.rate if inputs.rate.base == "USD" else floor / inputs.rate.rate
                conversion = f" × {inputs.rate.rate} {inputs.rate.base}/{inputs.rate.quote}"
            if floor > per_gram:
                per_gram = floor
                rule = (
                    f"{payable} g × {terms.certification} minimum {_bp(terms.minimum_price_bp or 0)} × "
                    f"{inputs.gold_price.usd_per_troy_ounce if inputs.gold_price else ''} USD/oz / 31.1034768"
                    f"{conversion} (above the agreed price)"
                )
        statement.money("gold_value", _minor(payable * per_gram), rule)
        return
    if inputs.gold_price is None:
        raise Waiting(["gold_price"])
    adjustment = terms.lbma_adjustment_bp or 0
    fix = inputs.gold_price.usd_per_troy_ounce
    per_ounce = fix * (10000 + adjustment) / Decimal(10000)
    sign = "+" if adjustment >= 0 else "−"
    fixes = f"{inputs.gold_price.benchmark} {', '.join(inputs.gold_price.dates)}"
    how = f"{fix} USD/oz ({fixes}) {sign} {_bp(abs(adjustment))}"
    if floor_oz is not None and floor_oz > per_ounce:
        per_ounce = floor_oz
        how = (
            f"{terms.certification} minimum {_bp(terms.minimum_price_bp or 0)} × {fix} USD/oz (above the agreed price)"
        )
    statement.price("gold_price", per_ounce, "USD/oz", how)
    value = _minor(ounces * per_ounce * Decimal(10) ** MINOR_UNIT_EXPONENT[currency])
    statement.money("gold_value", value, f"{ounces} oz × {per_ounce} USD/oz")


def _metal(
    statement: Statement, *, metal: str, gross: Decimal, per_mille: Decimal, payable_bp: int, minimum: Decimal
) -> tuple[Decimal, Decimal]:
    """Fine and payable grams of one metal, with their lines."""
    fine = statement.weight(f"fine_{metal}", _even(gross * per_mille / 1000, MG), f"{gross} g × {per_mille} ‰ / 1000")
    if per_mille < minimum or payable_bp == 0:
        reason = f"{per_mille} ‰ < minimum {minimum} ‰" if per_mille < minimum else "not paid"
        return fine, statement.weight(f"payable_{metal}", Decimal("0.000"), reason)
    payable = statement.weight(
        f"payable_{metal}", _even(fine * payable_bp / Decimal(10000), MG), f"{fine} g × {_bp(payable_bp)}"
    )
    return fine, payable


def compute(kind: str, terms: Terms, inputs: Inputs) -> Statement:
    """The provisional statement (declared weight and the seller's assay; the amount due is the provisional
    share of its net value) or the final one (received weight and the settling assay; the amount due is the net
    value less the provisional amount: positive, the buyer owes the rest; negative, the seller pays back)."""
    statement = Statement(kind=kind, currency=terms.currency)
    currency = terms.currency
    if kind == "provisional":
        if inputs.seller is None:
            raise Waiting(["seller_assay"])
        assay, assay_rule = inputs.seller, "seller's declared assay"
        statement.weight("declared_gross", inputs.gross_grams, "declared by the seller at dispatch")
    else:
        assay, assay_rule = settling_assay(terms, inputs)
        statement.weight("received_gross", inputs.gross_grams, "weighed by the buyer on receipt")
    for party, recorded in (("seller", inputs.seller), ("buyer", inputs.buyer), ("umpire", inputs.umpire)):
        if recorded is not None and (kind == "final" or party == "seller"):
            statement.fineness(f"{party}_au", recorded.au_per_mille, f"{party}'s assay")
    au = statement.fineness("settling_au", assay.au_per_mille, assay_rule)
    ag = statement.fineness("settling_ag", assay.ag_per_mille, assay_rule)
    gross = inputs.gross_grams
    fine_gold, payable_gold = _metal(
        statement,
        metal="gold",
        gross=gross,
        per_mille=au,
        payable_bp=terms.gold_payable_bp,
        minimum=terms.gold_minimum_fineness,
    )
    _fine_silver, payable_silver = _metal(
        statement,
        metal="silver",
        gross=gross,
        per_mille=ag,
        payable_bp=terms.silver_payable_bp,
        minimum=terms.silver_minimum_fineness,
    )
    gold_ounces = statement.ounces(
        "payable_gold_ounces",
        _even(payable_gold / GRAMS_PER_TROY_OUNCE, OUNCE_PLACES),
        f"{payable_gold} g / 31.1034768",
    )
    _gold_value(terms, inputs, statement, payable_gold, gold_ounces)
    gold_value = statement.lines[-1]["amount"]["amount_minor"]
    silver_value = 0
    if payable_silver > 0:
        silver_ounces = statement.ounces(
            "payable_silver_ounces",
            _even(payable_silver / GRAMS_PER_TROY_OUNCE, OUNCE_PLACES),
            f"{payable_silver} g / 31.1034768",
        )
        if terms.price_basis == "fixed":
            assert terms.silver_price_per_fine_gram_minor is not None
            silver_value = _minor(payable_silver * terms.silver_price_per_fine_gram_minor)
            silver_rule = (
                f"{payable_silver} g × {_fmt_money(terms.silver_price_per_fine_gram_minor, currency)} per fine gram"
            )
        else:
            if inputs.silver_price is None:
                raise Waiting(["silver_price"])
            silver_value = _minor(
                silver_ounces * inputs.silver_price.usd_per_troy_ounce * Decimal(10) ** MINOR_UNIT_EXPONENT[currency]
            )
            silver_rule = (
                f"{silver_ounces} oz × {inputs.silver_price.usd_per_troy_ounce} USD/oz "
                f"({inputs.silver_price.benchmark} {', '.join(inputs.silver_price.dates)})"
            )
        statement.money("silver_value", silver_value, silver_rule)
    gross_value = statement.money("gross_value", gold_value + silver_value, "gold value + silver value")
    charges_total = 0
    for position, charge in enumerate(terms.charges, start=1):
        if charge.kind == "percent_of_value":
            assert charge.percent_bp is not None
            amount = _minor(Decimal(gross_value) * charge.percent_bp / Decimal(10000))
            rule = f"{charge.label}: {_bp(charge.percent_bp)} × {_fmt_money(gross_value, currency)}"
        else:
            assert charge.amount_minor is not None
            assert charge.currency is not None
            if charge.kind == "per_troy_ounce_gross":
                gross_ounces = _even(gross / GRAMS_PER_TROY_OUNCE, OUNCE_PLACES)
                in_own = _minor(gross_ounces * charge.amount_minor)
                rule = f"{charge.label}: {gross_ounces} gross oz × {_fmt_money(charge.amount_minor, charge.currency)}"
            else:
                in_own = inputs.lots * charge.amount_minor
                rule = f"{charge.label}: {inputs.lots} lot(s) × {_fmt_money(charge.amount_minor, charge.currency)}"
            amount, conversion = _convert(in_own, charge.currency, currency, inputs.rate)
            rule += conversion
        charges_total += statement.money(f"charge_{position}", amount, rule, sign=-1)
    premium = 0
    if terms.premium_per_kg_fine_minor:
        in_own = _minor(fine_gold * terms.premium_per_kg_fine_minor / Decimal(1000))
        premium, conversion = _convert(in_own, terms.premium_currency, currency, inputs.rate)
        label = f"{terms.certification} premium" if terms.certification else "premium"
        per_kg = _fmt_money(terms.premium_per_kg_fine_minor, terms.premium_currency)
        statement.money("premium", premium, f"{label}: {fine_gold} g fine / 1000 × {per_kg} per kg{conversion}")
    umpire_share = 0
    if kind == "final" and inputs.umpire is not None and inputs.umpire.cost_minor:
        umpire_share, rule = _umpire_share(terms, inputs)
        if umpire_share:
            statement.money("umpire_cost", umpire_share, rule, sign=-1)
    net = gross_value - charges_total + premium - umpire_share
    statement.net_value_minor = statement.money("net_value", net, "gross value − charges + premium − umpire's fee")
    if kind == "provisional":
        due = max(_minor(Decimal(net) * terms.provisional_bp / Decimal(10000)), 0)
        rule = f"{_bp(terms.provisional_bp)} × {_fmt_money(net, currency)}"
        if net < 0:
            rule += ", not below zero: a provisional payment is never owed back"
        statement.amount_due_minor = statement.money("provisional_payment", due, rule)
    else:
        statement.money(
            "provisional_paid", inputs.provisional_paid_minor, "the provisional statement's amount", sign=-1
        )
        statement.amount_due_minor = statement.money(
            "final_balance",
            net - inputs.provisional_paid_minor,
            "net value − provisional payment: positive, due to the seller; negative, due to the buyer",
        )
    statement.prices = {
        key: value.describe()
        for key, value in (("gold", inputs.gold_price), ("silver", inputs.silver_price), ("rate", inputs.rate))
        if value is not None
    }
    return statement


def _umpire_share(terms: Terms, inputs: Inputs) -> tuple[int, str]:
    """The seller's part of the umpire's fee (the buyer paid the laboratory and deducts it here)."""
    assert inputs.umpire is not None
    assert inputs.umpire.cost_minor is not None
    assert inputs.buyer is not None
    assert inputs.seller is not None
    cost = inputs.umpire.cost_minor
    money = _fmt_money(cost, terms.currency)
    if terms.umpire_cost == "seller":
        return cost, f"umpire's fee {money}, borne by the seller"
    if terms.umpire_cost == "shared":
        return _minor(Decimal(cost) / 2), f"half the umpire's fee {money}"
    if terms.umpire_cost == "farther":
        seller_gap = abs(inputs.seller.au_per_mille - inputs.umpire.au_per_mille)
        buyer_gap = abs(inputs.buyer.au_per_mille - inputs.umpire.au_per_mille)
        if seller_gap > buyer_gap:
            return cost, f"umpire's fee {money}: the seller's assay is farther ({seller_gap} ‰ > {buyer_gap} ‰)"
        if seller_gap == buyer_gap:
            return _minor(Decimal(cost) / 2), f"half the umpire's fee {money}: both assays {seller_gap} ‰ away"
    return 0, ""
