"""Writes at a trickle, through the services, while wrk reads: what a live marketplace does around its search.

    DJANGO_DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/oro_bench_10k .venv/bin/python bench/trickle.py 20
    DJANGO_DEBUG=1 DATABASE_URL=... .venv/bin/python bench/trickle.py matches   # `<request id> <token>`

For the given number of seconds: once a second an unrelated write, in turn a buyer's sourcing request and a
message in an inquiry (neither is in a search answer); once every ten seconds a catalogue write, a reviewer's
evidence decision (revoking an approved item of a producer with a visible listing, which takes its listings out
of the catalogue). Each through the same service the API calls, in its own transaction, as another client
would. Prints what it wrote. The buyer, the reviewer and the inquiry it needs are made on first use (`bench-`
e-mail addresses), so a database seeded by `bench/seed.py` serves as it is.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


def member(email: str, kind: str, name: str, role: str, **fields: Any) -> Any:
    from accounts.models import Membership, Organization, User
    from core.actor import Actor

    user, _ = User.objects.get_or_create(email=email, defaults={"full_name": name})
    organization = Organization.objects.filter(kind=kind, legal_name=name).first()
    if organization is None:
        organization = Organization.objects.create(kind=kind, legal_name=name, country="PE", **fields)
    Membership.objects.get_or_create(user=user, organization=organization, defaults={"role": role})
    return Actor(user=user, organization_id=organization.pk, organization_kind=kind, role=role)


def matches_setup(buyer: Any) -> int:
    """Print a sourcing request of the bench buyer (the benchmark's search: 900 or finer, doré) and a token of
    its user, for wrk to read its matches: `<request id> <token>`."""
    from knox.models import AuthToken

    from core import clock
    from listings.models import SourcingRequest

    today = clock.today_lima()
    request = SourcingRequest.objects.filter(buyer_id=buyer.organization_id, title="Bench matches").first()
    if request is None:
        request = SourcingRequest.objects.create(
            buyer_id=buyer.organization_id,
            created_by=buyer.user,
            title="Bench matches",
            grams=Decimal("1000"),
            min_fineness=Decimal("900"),
            forms=["dore"],
            incoterm="FCA",
            max_price_per_fine_gram_minor=9000,
            delivery_from=today,
            delivery_until=today + dt.timedelta(days=90),
        )
    _instance, token = AuthToken.objects.create(user=buyer.user)
    print(request.pk, token)
    return 0


def main() -> int:
    import django

    django.setup()
    from compliance.models import Evidence
    from compliance.services import evidence_revoke
    from core import clock
    from listings.models import Listing
    from listings.sourcing import sourcing_request_create
    from listings.visibility import visible_listings
    from trade.inquiries import inquiry_post_message
    from trade.models import Inquiry

    buyer = member(
        "bench-buyer@bench.test", "buyer", "Bench Refinery SA", "admin", buyer_type="refiner", kyc_status="unverified"
    )
    if sys.argv[1:] == ["matches"]:
        return matches_setup(buyer)
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rng = random.Random(2026)  # noqa: S311 - which producer a decision falls on, not a secret
    reviewer = member("bench-reviewer@bench.test", "network", "Bench Network", "reviewer")
    today = clock.today_lima()
    listings = list(visible_listings(Listing.objects.all(), today).values_list("pk", "producer_id"))
    listing_id, producer_id = rng.choice(listings)
    inquiry = Inquiry.objects.filter(buyer_id=buyer.organization_id).first() or Inquiry.objects.create(
        buyer_id=buyer.organization_id,
        producer_id=producer_id,
        listing_id=listing_id,
        opened_by="buyer",
        grams=Decimal("100"),
        created_by=buyer.user,
    )
    written = {"sourcing requests": 0, "messages": 0, "evidence decisions": 0}
    started = time.monotonic()
    tick = 0
    while time.monotonic() - started < seconds:
        if tick % 10 == 5:
            _listing, producer = rng.choice(listings)
            item = Evidence.objects.filter(organization_id=producer, status="approved").order_by("?").first()
            if item is not None:
                evidence_revoke(actor=reviewer, evidence=item, reason="Bench: a trickle of catalogue writes")
                written["evidence decisions"] += 1
        elif tick % 2 == 0:
            sourcing_request_create(
                actor=buyer,
                title=f"Bench request {tick}",
                grams=Decimal("1000"),
                min_fineness=Decimal("900"),
                forms=[],
                claims=[],
                max_price_per_fine_gram_minor=None,
                currency="USD",
                incoterm="",
                delivery_from=today,
                delivery_until=today + dt.timedelta(days=90),
                notes="",
            )
            written["sourcing requests"] += 1
        else:
            inquiry_post_message(actor=buyer, inquiry=inquiry, body=f"Bench message {tick}")
            written["messages"] += 1
        tick += 1
        time.sleep(max(0.0, started + tick - time.monotonic()))
    print("trickle wrote " + ", ".join(f"{count} {what}" for what, count in written.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
