"""Demo data for `make run` and the README tour. Idempotent: running it again changes nothing.

The network with its reviewer, two cooperatives and one individual woman miner of Madre de Dios, a Peruvian
exporter and a Swiss refiner, with producer profiles, sites, rosters and evidence in every state
(`marketplace/demo_compliance.py`), sample LBMA fixes and USD/PEN rates of the last 45 days, each flagged as
a sample (`marketplace/demo_prices.py`), lots with assays and custody (`marketplace/demo_provenance.py`), listings
(`marketplace/demo_listings.py`), trade between the exporter
and the cooperative (`marketplace/demo_trade.py`), and a support organisation whose field officer the cooperative
delegated its evidence and sites to (`marketplace/demo_delegations.py`). Every account's password is
DEMO_PASSWORD (default in the README).
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import Membership, Organization, Role, User
from audit.services import audit_record
from marketplace.demo_compliance import seed_compliance
from marketplace.demo_delegations import seed_delegations
from marketplace.demo_listings import seed_listings
from marketplace.demo_prices import seed_prices
from marketplace.demo_provenance import seed_provenance
from marketplace.demo_settlement import seed_settlement
from marketplace.demo_trade import seed_trade

DEFAULT_PASSWORD = "oro-limpio-2026"

ORGANIZATIONS: list[dict[str, Any]] = [
    {
        "key": "network",
        "kind": "network",
        "legal_name": "Red de Mujeres Mineras Artesanales de Madre de Dios",
        "country": "PE",
        "tax_id": "20490012347",
        "contact_email": "red@demo.test",
    },
    {
        "key": "coop",
        "kind": "producer",
        "legal_name": "Cooperativa Minera Mujeres de Oro de Huepetuhe",
        "country": "PE",
        "tax_id": "20527145661",
        "contact_email": "coop@demo.test",
    },
    {
        "key": "association",
        "kind": "producer",
        "legal_name": "Asociación de Mineras Artesanales Virgen de la Candelaria",
        "country": "PE",
        "tax_id": "20601234565",
        "contact_email": "candelaria@demo.test",
    },
    {
        "key": "miner",
        "kind": "producer",
        "legal_name": "Rosa Quispe Mamani",
        "country": "PE",
        "tax_id": "10452781234",
        "contact_email": "miner@demo.test",
    },
    {
        "key": "support",
        "kind": "support",
        "legal_name": "Asociación de Apoyo Minero Sostenible",
        "country": "PE",
        "tax_id": "",
        "contact_email": "apoyo@demo.test",
    },
    {
        "key": "exporter",
        "kind": "buyer",
        "legal_name": "Exportadora Andina de Metales S.A.C.",
        "country": "PE",
        "tax_id": "20512345671",
        "buyer_type": "trader_exporter",
        "kyc_status": "unverified",
        "contact_email": "buyer2@demo.test",
    },
    {
        "key": "refiner",
        "kind": "buyer",
        "legal_name": "Helvetia Responsible Refining SA",
        "country": "CH",
        "tax_id": "CHE-109.322.551",
        "buyer_type": "refiner",
        "kyc_status": "unverified",
        "contact_email": "buyer@demo.test",
    },
]

ACCOUNTS: list[dict[str, Any]] = [
    {"email": "reviewer@demo.test", "full_name": "Lucía Huamán Ccori", "org": "network", "role": "reviewer"},
    {"email": "network-admin@demo.test", "full_name": "Carmen Sulca Poma", "org": "network", "role": "admin"},
    {"email": "coop-admin@demo.test", "full_name": "Juana Mamani Condori", "org": "coop", "role": "admin"},
    {"email": "coop-member@demo.test", "full_name": "Elena Choque Apaza", "org": "coop", "role": "member"},
    {
        "email": "candelaria-admin@demo.test",
        "full_name": "Marisol Ttito Huillca",
        "org": "association",
        "role": "admin",
    },
    {"email": "miner@demo.test", "full_name": "Rosa Quispe Mamani", "org": "miner", "role": "admin"},
    {"email": "officer@demo.test", "full_name": "Teresa Villca Apaza", "org": "support", "role": "member"},
    {"email": "buyer@demo.test", "full_name": "Anna Keller", "org": "refiner", "role": "admin", "language": "en"},
    {"email": "buyer2@demo.test", "full_name": "Diego Salazar Rojas", "org": "exporter", "role": "admin"},
    {"email": "staff@demo.test", "full_name": "Plataforma Oro Responsable", "org": None, "role": None, "staff": True},
]


class Command(BaseCommand):
    help = "Load the demo organisations and accounts (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's notifications are in the feeds; their e-mails would only flood the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self.seed()

    @transaction.atomic
    def seed(self) -> None:
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD)
        organizations: dict[str, Organization] = {}
        users: dict[str, User] = {}
        created = 0
        for spec in ORGANIZATIONS:
            fields = {k: v for k, v in spec.items() if k not in ("key", "legal_name", "kind")}
            fields.setdefault("buyer_type", "")
            fields.setdefault("kyc_status", "")
            organization, was_created = Organization.objects.get_or_create(
                kind=spec["kind"], legal_name=spec["legal_name"], defaults=fields
            )
            organizations[spec["key"]] = organization
            created += was_created
        for spec in ACCOUNTS:
            user = User.objects.filter(email=spec["email"]).first()
            if user is None:
                user = User.objects.create_user(
                    email=spec["email"],
                    password=password,
                    full_name=spec["full_name"],
                    preferred_language=spec.get("language", "es"),
                    is_staff=spec.get("staff", False),
                    is_superuser=spec.get("staff", False),
                )
                created += 1
            users[spec["email"]] = user
            if spec["org"]:
                _membership, was_created = Membership.objects.get_or_create(
                    user=user, organization=organizations[spec["org"]], defaults={"role": Role(spec["role"])}
                )
                created += was_created
        created += seed_prices(organizations, users)
        created += seed_compliance(organizations, users)
        created += seed_provenance(organizations, users)
        created += seed_listings(organizations, users)
        created += seed_trade(organizations, users)
        created += seed_settlement(organizations, users)
        created += seed_delegations(organizations, users)
        if created:
            audit_record(action="demo.seeded", data={"created_rows": created})
        self.stdout.write(f"Demo data ready ({created} rows created). Password: DEMO_PASSWORD or the README default.")
