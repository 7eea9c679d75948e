"""Demo delegation: the cooperative lets the support organisation's field officer keep its evidence and sites.

Granted through the service, as its admin would (audited, the officer notified); idempotent: once the officer
holds a delegation from the cooperative, nothing is added.
"""

from __future__ import annotations

from accounts.delegation import delegation_grant
from accounts.models import Delegation, Organization, User
from marketplace.demo_compliance import actor_for


def seed_delegations(orgs: dict[str, Organization], users: dict[str, User]) -> int:
    officer = users["officer@demo.test"]
    if Delegation.objects.filter(organization=orgs["coop"], officer=officer).exists():
        return 0
    delegation_grant(
        actor=actor_for(users["coop-admin@demo.test"], orgs["coop"]),
        officer_email=officer.email,
        scopes=["evidence", "sites"],
    )
    return 1
