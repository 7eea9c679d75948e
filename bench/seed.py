"""Seed a PostgreSQL database for the listing-search benchmark.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/oro_bench \\
        .venv/bin/python bench/seed.py --listings 100000 --producers 10000 [--reuse]

Creates the database when it is missing, migrates it (the migrations seed the compliance catalogue and the
policies), then bulk-creates, in batches: one organisation, admin user and membership per producer; the
producers (individual women miners and cooperatives, associations, companies across the districts of Madre
de Dios), their sites and rosters; evidence (about 80% of producers verified and compliant with an approved
item for every requirement of both policies, some missing a requirement, some with a lapsed item, some with
the items that back the mercury_free, fairmined and fairmined_ecological claims); the listings (mostly
published, Spanish and English text) with their sites and claims; and today's sample LBMA fixes and USD/PEN
rate, which the indicative prices of the search read. `ANALYZE` at the end.

Deterministic: the same arguments give the same rows (seeded random generator; dates relative to today).
`--reuse` keeps a database that already holds exactly the requested numbers of producers and listings.
Otherwise the bench data is wiped first (only in a database whose name starts with `oro_bench`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

BATCH = 2000

DISTRICTS = [
    "tambopata",
    "inambari",
    "laberinto",
    "las_piedras",
    "huepetuhe",
    "madre_de_dios",
    "fitzcarrald",
    "manu",
    "tahuamanu",
    "iberia",
    "inapari",
]
DISTRICT_NAMES = {
    "tambopata": "Tambopata",
    "inambari": "Inambari",
    "laberinto": "Laberinto",
    "las_piedras": "Las Piedras",
    "huepetuhe": "Huepetuhe",
    "madre_de_dios": "Madre de Dios",
    "fitzcarrald": "Fitzcarrald",
    "manu": "Manu",
    "tahuamanu": "Tahuamanu",
    "iberia": "Iberia",
    "inapari": "Iñapari",
}
# Districts are weighted like the real mining corridor: most gold comes from a few of them.
DISTRICT_WEIGHTS = [14, 16, 14, 6, 18, 12, 3, 3, 5, 5, 4]

FIRST_NAMES = ["Rosa", "María", "Juana", "Elena", "Marisol", "Carmen", "Lucía", "Yolanda", "Nelly", "Flor", "Silvia"]
SURNAMES = ["Quispe", "Mamani", "Condori", "Huamán", "Apaza", "Choque", "Ttito", "Ccori", "Sulca", "Poma", "Huillca"]
MALE_NAMES = ["Juan", "Pedro", "Luis", "Wilber", "Edwin", "Hugo"]
SAINTS = ["Virgen del Carmen", "Santa Rosa", "Señor de Qoyllur Rit'i", "Virgen de la Candelaria", "San Martín"]
ORG_WORDS = ["Mujeres de Oro", "Nueva Esperanza", "Río Dorado", "Las Pallaqueras", "Flor del Inambari", "Arco Iris"]

FORMS = ["dore", "nugget", "flake_dust", "gravity_concentrate"]
FORM_WEIGHTS = [40, 15, 30, 15]
FORM_ES = {
    "dore": "Doré",
    "nugget": "Pepitas de oro",
    "flake_dust": "Oro en polvo y chispas",
    "gravity_concentrate": "Concentrado gravimétrico de oro",
}
FORM_EN = {
    "dore": "Doré bar",
    "nugget": "Gold nuggets",
    "flake_dust": "Gold flakes and dust",
    "gravity_concentrate": "Gravity gold concentrate",
}
MERCURY_FREE_METHODS = ["sluice", "shaking_table", "centrifuge", "panning", "borax_smelting", "magnetic_separation"]
INCOTERMS = ["EXW", "FCA", "CPT", "CIP", "DAP"]
PLACES = ["Puerto Maldonado", "Huepetuhe", "Mazuko", "Laberinto", "Lima (Callao)", "Cusco"]

# (Spanish, English) sentences; the descriptions pick a few of them.
SENTENCES_MERCURY_FREE = [
    ("Oro extraído sin mercurio con canaleta y mesa vibratoria.", "Gold recovered mercury-free with a sluice."),
    ("Proceso gravimétrico: no se usa mercurio en ninguna etapa.", "Gravity-only process, no mercury at any step."),
    ("Lote sin mercurio verificado en visita de campo.", "Mercury-free lot, verified at a field visit."),
    ("Separación con centrífuga y fundición con bórax, sin mercurio.", "Centrifuge and borax smelting, no mercury."),
]
SENTENCES_MERCURY = [
    ("Amalgamación con retorta; el mercurio se recupera.", "Amalgamation with a retort; mercury is recovered."),
]
SENTENCES_OTHER = [
    ("Fundido con bórax en Puerto Maldonado.", "Borax smelted in Puerto Maldonado."),
    ("Extraído por mujeres mineras de la asociación.", "Mined by the women of the association."),
    ("Producción ecológico con cierre progresivo del área minada.", "Ecological production, progressive closure."),
    ("Ensayo de laboratorio disponible para cada lote.", "A laboratory assay is available for every lot."),
    ("Entrega en Puerto Maldonado o Lima.", "Delivery in Puerto Maldonado or Lima."),
    ("Trazabilidad desde la concesión hasta la refinería.", "Traceable from the concession to the refinery."),
    ("Prima Fairmined pagada a la organización.", "Fairmined premium paid to the organisation."),
    ("Oro aluvial de playa, lavado a mano.", "Alluvial gold from river beaches, hand-washed."),
]
ADJECTIVES = [
    ("sin mercurio", "mercury-free"),
    ("ecológico", "ecological"),
    ("artesanal", "artisanal"),
    ("responsable", "responsible"),
    ("de mujeres mineras", "from women miners"),
    ("trazable", "traceable"),
]

NO_EXPIRY = dt.date(9999, 12, 31)


# --- Small helpers ---------------------------------------------------------------------------------------------
class Progress:
    """A one-line textual progress bar, rewritten in place with \\r (no dependency)."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.start = label, max(total, 1), 0, time.monotonic()
        self.last = 0.0
        self.show(force=True)

    def advance(self, count: int) -> None:
        self.done += count
        self.show()

    def show(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 0.2 and self.done < self.total:
            return
        self.last = now
        share = min(self.done / self.total, 1.0)
        bar = "#" * int(share * 30)
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        sys.stderr.write(
            f"\r  {self.label:<14} [{bar:<30}] {self.done:>8}/{self.total:<8} {share:6.1%} "
            f"{elapsed:6.1f}s {rate:9.0f}/s"
        )
        sys.stderr.flush()

    def finish(self) -> None:
        self.total = max(self.done, 1)  # a generator may yield fewer rows than estimated
        self.show(force=True)
        sys.stderr.write("\n")
        sys.stderr.flush()


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def bulk(model: Any, items: Iterable[Any], total: int, label: str) -> int:
    """bulk_create in batches with a progress line; returns the number of rows written."""
    from django.db import reset_queries, transaction

    progress = Progress(label, total)
    written = 0
    with transaction.atomic():
        for batch in batches(items, BATCH):
            model.objects.bulk_create(batch, batch_size=BATCH)
            written += len(batch)
            progress.advance(len(batch))
            reset_queries()  # DJANGO_DEBUG=1 keeps every query's SQL otherwise
    progress.finish()
    return written


def make_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def ruc(prefix: str, serial: int) -> str:
    from core.validators import ruc_check_digit

    first_ten = f"{prefix}{serial:08d}"
    return first_ten + str(ruc_check_digit(first_ten))


def grams_from_mg(milligrams: int) -> Decimal:
    return Decimal(milligrams).scaleb(-3)


# --- The database itself ---------------------------------------------------------------------------------------
def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point at PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/oro_bench")
    return url


def ensure_database(url: str) -> str:
    """Create the database named in the URL when it is missing; returns its name."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        sys.exit("DATABASE_URL names no database")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    return name


def wipe(name: str) -> None:
    """Remove earlier bench rows (everything hanging off users and organisations); keeps the catalogue."""
    from django.db import connection

    if not name.startswith("oro_bench"):
        sys.exit(f"refusing to wipe {name!r}: only databases named oro_bench* are wiped by this script")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_user, accounts_organization CASCADE")
    print(f"wiped earlier bench rows from {name}")


# --- The rows --------------------------------------------------------------------------------------------------
class Seeder:
    def __init__(self, producers: int, listings: int, seed: int) -> None:
        from core import clock

        self.producer_count = producers
        self.listing_count = listings
        self.rng = random.Random(seed)  # noqa: S311 - reproducible bench data, not secrets
        self.today = clock.today_lima()
        self.now = clock.now()
        self.password = "!bench-unusable-password"  # an unusable password hash: nobody logs in
        # Per producer, what the listings need to know.
        self.producer_ids: list[uuid.UUID] = []
        self.admin_ids: list[uuid.UUID] = []
        self.district: list[str] = []
        self.sites: list[list[uuid.UUID]] = []
        self.mercury_free: list[bool] = []
        self.fairmined: list[bool] = []
        self.ecological: list[bool] = []
        self.women_led: list[bool] = []
        self.roster_counts: list[dict[str, int]] = []  # what each producer's member register declares
        self.stats: dict[str, int] = {}

    def count(self, key: str, by: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + by

    # Organisations, users, memberships, producers --------------------------------------------------------------
    def producers(self) -> None:
        from accounts.models import Membership, Organization, User
        from producers.models import Producer

        rng = self.rng
        organizations, users, memberships, producers = [], [], [], []
        for index in range(self.producer_count):
            individual = rng.random() < 0.5
            district = rng.choices(DISTRICTS, DISTRICT_WEIGHTS)[0]
            organization_id, user_id = make_uuid(rng), make_uuid(rng)
            if individual:
                sex = "female" if rng.random() < 0.9 else "male"
                first = rng.choice(FIRST_NAMES if sex == "female" else MALE_NAMES)
                name = f"{first} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
                number = ruc("10", 40_000_000 + index)
                kind = "individual"
            else:
                sex = ""
                kind = rng.choices(["cooperative", "association", "company"], [50, 40, 10])[0]
                prefix = {"cooperative": "Cooperativa Minera", "association": "Asociación de Mineras Artesanales"}
                name = (
                    f"{prefix.get(kind, 'Empresa Minera')} {rng.choice(ORG_WORDS + SAINTS)} "
                    f"de {DISTRICT_NAMES[district]} {index:05d}"
                )
                number = ruc("20", 60_000_000 + index)
            roll = rng.random()
            status = "verified" if roll < 0.9 else rng.choice(["submitted", "suspended", "changes_requested"])
            created = self.now - dt.timedelta(days=rng.uniform(200, 900))
            organizations.append(
                Organization(
                    id=organization_id,
                    kind="producer",
                    legal_name=name,
                    country="PE",
                    tax_id=number,
                    contact_email=f"productor{index}@bench.test",
                    created_at=created,
                    updated_at=created,
                )
            )
            users.append(
                User(
                    id=user_id,
                    email=f"admin{index}@bench.test",
                    full_name=name if individual else f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                    password=self.password,
                )
            )
            memberships.append(
                Membership(id=make_uuid(rng), user_id=user_id, organization_id=organization_id, role="admin")
            )
            producers.append(
                Producer(
                    organization_id=organization_id,
                    legal_kind=kind,
                    legal_category=rng.choice(["PMA", "PPM"]) if individual else rng.choice(["REINFO", "FORMALIZED"]),
                    ruc=number,
                    dni=number[2:10] if individual else "",
                    holder_sex=sex,
                    district=district,
                    description_es=f"Productora de oro aluvial en {DISTRICT_NAMES[district]}.",
                    description_en=f"Alluvial gold producer in {DISTRICT_NAMES[district]}.",
                    verification_status=status,
                    verified_at=created + dt.timedelta(days=30) if status == "verified" else None,
                )
            )
            self.producer_ids.append(organization_id)
            self.admin_ids.append(user_id)
            self.district.append(district)
            self.count(f"producers {kind}")
            self.count(f"producers {status}")
        with _timestamps_as_given(Organization):
            bulk(Organization, organizations, len(organizations), "organisations")
        bulk(User, users, len(users), "users")
        bulk(Membership, memberships, len(memberships), "memberships")
        bulk(Producer, producers, len(producers), "producers")
        self.individual = [p.legal_kind == "individual" for p in producers]
        self.holder_female = [p.holder_sex == "female" for p in producers]
        self.verified = [p.verification_status == "verified" for p in producers]

    # Sites and rosters --------------------------------------------------------------------------------------------
    def sites_and_rosters(self) -> None:
        from producers.models import MemberMiner, Site

        rng = self.rng
        sites, members = [], []
        for index, producer_id in enumerate(self.producer_ids):
            own = []
            for number in range(rng.choice([1, 1, 1, 2, 2, 3])):
                site_id = make_uuid(rng)
                latitude = round(rng.uniform(-13.3, -12.4), 5)
                longitude = round(rng.uniform(-70.9, -69.2), 5)
                status = "approved" if number == 0 or rng.random() < 0.8 else rng.choice(["pending", "rejected"])
                sites.append(
                    Site(
                        id=site_id,
                        producer_id=producer_id,
                        name=f"Playa {rng.choice(SAINTS)} {number + 1}",
                        concession_code=f"0102{index:06d}{number}",
                        district=self.district[index],
                        geometry={"type": "Point", "coordinates": [longitude, latitude]},
                        latitude=latitude,
                        longitude=longitude,
                        area_hectares=Decimal(rng.randint(100, 9000)).scaleb(-2),
                        status=status,
                    )
                )
                if status == "approved":
                    own.append(site_id)
            self.sites.append(own)
            # A small roster; organisations are women-led when women are more than half of the active roster.
            size = rng.randint(1, 3) if self.individual[index] else rng.randint(3, 8)
            share_women = rng.choice([0.3, 0.5, 0.7, 0.9]) if not self.individual[index] else 0.8
            women = 0
            for number in range(size):
                sex = "female" if rng.random() < share_women else "male"
                women += sex == "female"
                first = rng.choice(FIRST_NAMES if sex == "female" else MALE_NAMES)
                members.append(
                    MemberMiner(
                        id=make_uuid(rng),
                        producer_id=producer_id,
                        full_name=f"{first} {rng.choice(SURNAMES)}",
                        dni=f"{70_000_000 + index * 10 + number}",
                        birth_year=rng.randint(1960, 2004),
                        sex=sex,
                        role=rng.choice(["member", "titular", "worker", "pallaquera"]),
                    )
                )
            roster_women_led = 2 * women > size
            self.roster_counts.append({"women": women, "men": size - women})
            self.women_led.append((self.individual[index] and self.holder_female[index]) or roster_women_led)
        bulk(Site, sites, len(sites), "sites")
        bulk(MemberMiner, members, len(members), "roster")

    # Evidence --------------------------------------------------------------------------------------------------
    def evidence(self) -> None:
        from compliance.models import Claim, Evidence, EvidenceType, Policy, Requirement

        rng, today = self.rng, self.today
        validity = dict(EvidenceType.objects.values_list("code", "validity"))
        site_specific = set(EvidenceType.objects.filter(site_specific=True).values_list("code", flat=True))
        types_of = {
            r.code: sorted(t.code for t in r.evidence_types.all())
            for r in Requirement.objects.prefetch_related("evidence_types")
        }
        policy_requirements = {}
        for subject in ("individual", "organization"):
            policy = Policy.objects.filter(subject=subject, effective_from__lte=today).order_by("-effective_from")[0]
            policy_requirements[subject] = sorted(policy.requirements.values_list("code", flat=True))
        claim_requirements = {
            c.code: sorted(r.code for r in c.requirements.all()) for c in Claim.objects.prefetch_related("requirements")
        }
        if not policy_requirements["individual"] or not claim_requirements.get("mercury_free"):
            sys.exit("the compliance catalogue is missing: did the migrations run?")

        def item(index: int, type_code: str, state: str, site: Any = None, **extra: Any) -> Evidence:
            issued = today - dt.timedelta(days=rng.randint(1, 300))
            if state == "approved":
                if validity[type_code] in ("no_expiry", "until_changed", "per_lot"):
                    until = NO_EXPIRY
                else:
                    until = today + dt.timedelta(days=rng.randint(3, 400))
            elif state == "lapsed":
                until = today - dt.timedelta(days=rng.randint(1, 90))
            else:
                until = None
            return Evidence(
                id=make_uuid(rng),
                organization_id=self.producer_ids[index],
                evidence_type_id=type_code,
                site_id=site,
                document_number=f"DOC-{index:05d}-{type_code}" + (f"-{str(site)[:8]}" if site else ""),
                issue_date=issued,
                status="approved" if state == "lapsed" else state,
                submitted_by_id=self.admin_ids[index],
                decided_at=self.now if state in ("approved", "lapsed") else None,
                valid_until=until,
                **extra,
            )

        def items(index: int, type_code: str, state: str, **extra: Any) -> Iterator[Evidence]:
            """One item, or for a type granted per site one naming each approved site (gold is judged by
            origin: a title backs only its own site's listings)."""
            sites = self.sites[index] if type_code in site_specific and self.sites[index] else [None]
            for site in sites:
                yield item(index, type_code, state, site, **extra)

        def generate() -> Iterator[Evidence]:
            for index in range(self.producer_count):
                subject = "individual" if self.individual[index] else "organization"
                required = policy_requirements[subject]
                roll = rng.random()
                state = "compliant" if roll < 0.89 else ("missing" if roll < 0.945 else "lapsed")
                broken = rng.choice(required)
                self.count(f"evidence state {state}")
                if state == "compliant" and self.verified[index]:
                    self.count("producers verified and compliant")
                # Both policies' requirements, as add_visible_listings does, but the broken one.
                for code in sorted(set(policy_requirements["individual"]) | set(policy_requirements["organization"])):
                    type_code = rng.choice(types_of[code])
                    # The member register declares the roster's counts: women-led rests on it once approved.
                    counts = {"attributes": self.roster_counts[index]} if type_code == "ORG_MEMBERS" else {}
                    if code == broken and state == "missing":
                        if rng.random() < 0.5:
                            state_now = rng.choice(["submitted", "in_review", "rejected"])
                            yield from items(index, type_code, state_now, **counts)
                        continue
                    if code == broken and state == "lapsed":
                        yield from items(index, type_code, "lapsed", **counts)
                        continue
                    if rng.random() < 0.1:  # an older item this one replaced
                        yield from items(index, type_code, "superseded", **counts)
                    yield from items(index, type_code, "approved", **counts)
                # The items that back claims.
                mercury_free = rng.random() < 0.5
                fairmined = rng.random() < 0.15
                ecological = fairmined and rng.random() < 0.5
                if mercury_free:
                    for code in claim_requirements["mercury_free"]:
                        yield from items(index, rng.choice(types_of[code]), "approved")
                if fairmined:
                    for code in claim_requirements["fairmined"]:
                        attributes = {"ecological": True} if ecological else {}
                        yield from items(index, rng.choice(types_of[code]), "approved", attributes=attributes)
                self.mercury_free.append(mercury_free)
                self.fairmined.append(fairmined)
                self.ecological.append(ecological)

        estimate = self.producer_count * 14
        self.count("evidence rows", bulk(Evidence, generate(), estimate, "evidence"))

    # Listings -------------------------------------------------------------------------------------------------
    def listings(self) -> None:
        from listings.models import Listing, ListingClaim

        rng, today = self.rng, self.today
        through = Listing.sites.through
        # Producers with an approved site offer; a few big producers offer much more than the rest.
        offering = [i for i in range(self.producer_count) if self.sites[i]]
        weights = [rng.choice([1, 1, 1, 2, 3, 8]) for _ in offering]
        owners = rng.choices(offering, weights, k=self.listing_count)
        site_rows: list[Any] = []
        claim_rows: list[Any] = []

        def generate() -> Iterator[Listing]:
            for owner in owners:
                listing_id = make_uuid(rng)
                form = rng.choices(FORMS, FORM_WEIGHTS)[0]
                fineness = Decimal(rng.randint(7500, 9999)).scaleb(-1)
                quantity = rng.randint(20_000, 5_000_000)  # milligrams: 20 g to 5 kg
                available = 0 if rng.random() < 0.05 else rng.randint(1, quantity)
                minimum = rng.randint(1, max(1, min(quantity, 100_000)))
                roll = rng.random()
                status = (
                    "published" if roll < 0.85 else ("paused" if roll < 0.9 else ("draft" if roll < 0.95 else "closed"))
                )
                valid_from = today - dt.timedelta(days=rng.randint(0, 90))
                valid_until = valid_from + dt.timedelta(days=rng.randint(20, 240))
                created = self.now - dt.timedelta(seconds=rng.uniform(0, 200 * 86400))
                mercury_free_text = self.mercury_free[owner] or rng.random() < 0.3
                methods = rng.sample(MERCURY_FREE_METHODS, rng.randint(1, 3))
                if not mercury_free_text and rng.random() < 0.3:
                    methods.append("amalgamation_with_retort")
                adjective_es, adjective_en = rng.choice(
                    ADJECTIVES if mercury_free_text and "amalgamation_with_retort" not in methods else ADJECTIVES[1:]
                )
                sentences = rng.sample(SENTENCES_OTHER, rng.randint(1, 3))
                if "amalgamation_with_retort" in methods:
                    sentences.append(SENTENCES_MERCURY[0])
                elif mercury_free_text and rng.random() < 0.6:
                    sentences.append(rng.choice(SENTENCES_MERCURY_FREE))
                rng.shuffle(sentences)
                district = DISTRICT_NAMES[self.district[owner]]
                english = rng.random() < 0.7
                fixed = rng.random() < 0.5
                currency = rng.choice(["USD", "USD", "PEN"]) if fixed else "USD"
                listing = Listing(
                    id=listing_id,
                    producer_id=self.producer_ids[owner],
                    form=form,
                    quantity_grams=grams_from_mg(quantity),
                    available_grams=grams_from_mg(available),
                    monthly_capacity_grams=grams_from_mg(quantity),  # forward, as every migrated listing
                    min_order_grams=grams_from_mg(minimum),
                    fineness=fineness,
                    fineness_basis=rng.choice(["field_estimate", "xrf", "xrf", "lab_assay"]),
                    processing_methods=methods,
                    price_basis="fixed" if fixed else rng.choice(["lbma_am", "lbma_pm"]),
                    currency=currency,
                    price_per_fine_gram_minor=(
                        rng.randint(9_000, 13_000) * (4 if currency == "PEN" else 1) if fixed else None
                    ),
                    lbma_adjustment_bp=None if fixed else rng.randint(-600, -50),
                    premium_per_kg_fine_minor=400_000 if self.fairmined[owner] else 0,
                    incoterm=rng.choice(INCOTERMS),
                    incoterm_place=rng.choice(PLACES),
                    valid_from=valid_from,
                    valid_until=valid_until,
                    title_es=f"{FORM_ES[form]} {adjective_es} {fineness}‰ de {district}",
                    title_en=f"{FORM_EN[form]}, {adjective_en}, {fineness}‰, {district}" if english else "",
                    description_es=" ".join(es for es, _en in sentences),
                    description_en=" ".join(en for _es, en in sentences) if english else "",
                    status=status,
                    published_at=created if status in ("published", "paused", "closed") else None,
                    close_reason=rng.choice(["withdrawn", "sold_out"]) if status == "closed" else "",
                    created_by_id=self.admin_ids[owner],
                    created_at=created,
                    updated_at=created,
                )
                site_rows.append(through(listing_id=listing_id, site_id=rng.choice(self.sites[owner])))
                for claim in self.claims_of(owner):
                    claim_rows.append(ListingClaim(listing_id=listing_id, claim_id=claim))
                self.count(f"listings {status}")
                yield listing

        with _timestamps_as_given(Listing):
            bulk(Listing, generate(), self.listing_count, "listings")
        bulk(through, site_rows, len(site_rows), "listing sites")
        self.count("listing claims", bulk(ListingClaim, claim_rows, len(claim_rows), "listing claims"))

    def prices(self) -> None:
        """Sample LBMA Gold Prices (AM and PM) and a USD/PEN rate for today, marked `sample`: the indicative price
        of every search result reads them (without them every LBMA listing's would be null)."""
        from prices.models import Benchmark, ExchangeRate, MetalPrice

        for benchmark, milli in ((Benchmark.GOLD_AM, 2_648_100), (Benchmark.GOLD_PM, 2_650_350)):
            if not MetalPrice.objects.filter(benchmark=benchmark, date=self.today, current=True).exists():
                MetalPrice.objects.create(
                    benchmark=benchmark,
                    date=self.today,
                    usd_per_troy_ounce_milli=milli,
                    source="bench/seed.py (sample)",
                    sample=True,
                )
                self.count("sample fixes")
        if not ExchangeRate.objects.filter(base="USD", quote="PEN", date=self.today, current=True).exists():
            ExchangeRate.objects.create(
                base="USD",
                quote="PEN",
                date=self.today,
                rate_micro=3_745_000,
                source="bench/seed.py (sample)",
                sample=True,
            )
            self.count("sample rates")

    def claims_of(self, owner: int) -> list[str]:
        """Claims a listing makes: mostly backed by the producer's evidence, now and then not (then hidden)."""
        rng = self.rng
        claims = []
        if (self.mercury_free[owner] or self.ecological[owner]) and rng.random() < 0.7:
            claims.append("mercury_free")
        if self.fairmined[owner] and rng.random() < 0.8:
            claims.append("fairmined")
        if self.ecological[owner] and rng.random() < 0.7:
            claims.append("fairmined_ecological")
        if self.women_led[owner] and rng.random() < 0.5:
            claims.append("women_led")
        unbacked = [c for c in ("mercury_free", "fairmined", "women_led") if c not in claims]
        if unbacked and rng.random() < 0.03:  # a claim the evidence may not back: then the listing is hidden
            claims.append(rng.choice(unbacked))
            self.count("listings with an extra, maybe unbacked claim")
        return claims


class _timestamps_as_given:  # a context manager, named like one
    """Let bulk_create keep the created_at/updated_at we give (auto_now and auto_now_add would overwrite)."""

    def __init__(self, model: Any) -> None:
        self.fields = [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
        self.fields += [f for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)]
        self.saved: list[tuple[Any, bool, bool]] = []

    def __enter__(self) -> None:
        for field in self.fields:
            self.saved.append((field, field.auto_now, field.auto_now_add))
            field.auto_now = field.auto_now_add = False

    def __exit__(self, *exc: object) -> None:
        for field, auto_now, auto_now_add in self.saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def already_seeded(producers: int, listings: int) -> bool:
    from listings.models import Listing
    from producers.models import Producer

    return Producer.objects.count() == producers and Listing.objects.count() == listings


def analyze() -> None:
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM (ANALYZE) done in {time.monotonic() - started:.1f}s")


def refresh_standings() -> None:
    from django.core.management import call_command

    started = time.monotonic()
    call_command("refresh_standings", verbosity=0)  # and, through its hook, the search read model
    print(f"stored compliance verdicts and search read model refreshed in {time.monotonic() - started:.1f}s")


def refresh_search_index() -> None:
    """The read model after rows were written around the services: built when empty, its prices always."""
    from listings import search_index
    from listings.models import SearchEntry

    started = time.monotonic()
    if not SearchEntry.objects.exists():
        search_index.producers_changed()
    search_index.prices_changed()  # today's sample fix and rate, recorded by `Seeder.prices`
    print(f"search read model refreshed in {time.monotonic() - started:.1f}s")


def report(name: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(%s))", [name])
        size = cursor.fetchone()[0]
        cursor.execute(
            "SELECT (SELECT count(*) FROM producers_producer), (SELECT count(*) FROM listings_listing), "
            "(SELECT count(*) FROM listings_listing WHERE status = 'published'), "
            "(SELECT count(*) FROM compliance_evidence), (SELECT count(*) FROM listings_listingclaim)"
        )
        producers, listings, published, evidence, claims = cursor.fetchone()
    print(
        f"{name}: {producers} producers, {listings} listings ({published} published), {evidence} evidence items, "
        f"{claims} listing claims; database size {size}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--producers", type=int, default=10_000)
    parser.add_argument("--reuse", action="store_true", help="keep a database already seeded with these numbers")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same rows)")
    args = parser.parse_args(argv)
    if args.producers < 1 or args.listings < 0:
        parser.error("--producers must be at least 1 and --listings not negative")

    name = ensure_database(database_url())
    import django

    django.setup()
    from django.core.management import call_command

    started = time.monotonic()
    print(f"migrating {name}...")
    call_command("migrate", verbosity=0, interactive=False)
    if args.reuse and already_seeded(args.producers, args.listings):
        print(f"{name} already holds {args.producers} producers and {args.listings} listings: reused")
        from compliance.models import SiteStanding

        if not SiteStanding.objects.exists():  # seeded before the stored (per-site) verdicts existed
            refresh_standings()
            analyze()
        Seeder(args.producers, args.listings, args.seed).prices()  # today's sample fix and rate, when missing
        refresh_search_index()
        analyze()
        report(name)
        return
    from producers.models import Producer

    if Producer.objects.exists():
        wipe(name)
    seeder = Seeder(args.producers, args.listings, args.seed)
    print(f"seeding {args.producers} producers and {args.listings} listings into {name} (today {seeder.today})")
    steps: list[Callable[[], None]] = [
        seeder.producers,
        seeder.sites_and_rosters,
        seeder.evidence,
        seeder.listings,
        seeder.prices,
    ]
    for step in steps:
        step()
    refresh_standings()  # the rows were bulk-created, not approved through the services
    refresh_search_index()
    analyze()
    for key in sorted(seeder.stats):
        print(f"  {key}: {seeder.stats[key]}")
    print(f"seeded in {time.monotonic() - started:.1f}s")
    report(name)


if __name__ == "__main__":
    main()
