"""Examples the schema shows for the terms of a contract: a version with its settlement terms, charges and
shipments, as proposed and as answered."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

SITE = "0b1e7c52-4f0e-4a53-9a57-1d2f3e4a5b6c"
_LOT_A, _LOT_B = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d", "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e"

SETTLEMENT_IN: dict[str, Any] = {
    "fixing_rule": "average",
    "quotational_period_start": "2027-06-16",
    "quotational_period_days": 5,
    "gold_payable_percent": "99.5",
    "gold_minimum_fineness": "500.0",
    "silver_payable_percent": "90",
    "silver_minimum_fineness": "30.0",
    "provisional_percent": "90",
    "splitting_limit": "0.5",
    "within_limit_rule": "mean",
    "umpire_laboratory": "SGS del Perú, Callao",
    "umpire_cost": "farther",
}
CHARGES_IN: list[dict[str, Any]] = [
    {"label": "Refining charge", "kind": "per_troy_ounce_gross", "amount": {"amount_minor": 150, "currency": "USD"}},
    {"label": "Insurance", "kind": "percent_of_value", "percent": "0.15"},
]
SHIPMENTS_IN: list[dict[str, Any]] = [
    {
        "quantity_grams": "300.000",
        "delivery_date": "2027-06-15",
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "lots": [_LOT_A],
    },
    {
        "quantity_grams": "200.000",
        "delivery_date": "2027-07-15",
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "lots": [_LOT_B],
    },
]
TERMS_IN: dict[str, Any] = {
    "quantity_grams": "500.000",
    "fineness": "932.0",
    "price_basis": "lbma_pm",
    "lbma_adjustment_percent": "-2.00",
    "premium_per_kg_fine_minor": 400000,
    "premium_currency": "USD",
    "incoterm": "FCA",
    "incoterm_place": "Puerto Maldonado",
    "delivery_date": "2027-07-15",
    "deposit_percent": "10.00",
    "payment_terms": "Saldo contra liquidación final.",
    "origin_site": SITE,
    "lots": [_LOT_A, _LOT_B],
    "settlement": SETTLEMENT_IN,
    "charges": CHARGES_IN,
    "shipments": SHIPMENTS_IN,
}

# The same parts as a version shows them (with the Fairmined figures the terms were checked against).
SETTLEMENT_OUT: dict[str, Any] = {
    **SETTLEMENT_IN,
    "fixing_date": None,
    "gold_payable_percent": "99.50",
    "silver_payable_percent": "90.00",
    "silver_price_per_fine_gram": None,
    "provisional_percent": "90.00",
    "certification": {
        "claim": "fairmined",
        "valid_from": "2018-01-01",
        "minimum_price_percent": "95.00",
        "premium_rule": "per_kg_fine",
        "premium_per_kg_fine": {"amount_minor": 400000, "currency": "USD"},
        "premium_percent": None,
        "source": "Fairmined Standard for Gold from Artisanal and Small-scale Mining: minimum price 95 % of the "
        "LBMA price; Fairmined Premium USD 4,000 per kg of fine gold (fairmined.org, figures as of 2018)",
        "source_date": "2018-01-01",
    },
}
CHARGES_OUT: list[dict[str, Any]] = [
    {
        "position": 1,
        "label": "Refining charge",
        "kind": "per_troy_ounce_gross",
        "amount": {"amount_minor": 150, "currency": "USD"},
        "percent": None,
    },
    {"position": 2, "label": "Insurance", "kind": "percent_of_value", "amount": None, "percent": "0.15"},
]
SHIPMENTS_OUT: list[dict[str, Any]] = [
    {"number": number, **shipment} for number, shipment in enumerate(SHIPMENTS_IN, start=1)
]

TERMS_EXAMPLES = [
    OpenApiExample(
        "A spot sale in two shipments, settled on the mean of five PM fixes",
        value=TERMS_IN,
        request_only=True,
        description="Lots A and B of a spot listing that claims Fairmined, each delivered by its own shipment; "
        "99.5 % of the gold paid, 90 % of the silver, 90 % provisionally at dispatch; a refining charge per "
        "troy ounce and an insurance charge on the value. `settlement`, `charges` and `shipments` may be left "
        "out: the version then delivers once, on its delivery date.",
    )
]
