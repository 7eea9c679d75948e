"""Examples of the sign-in answers for the schema."""

from __future__ import annotations

from typing import Any

USER_EXAMPLE: dict[str, Any] = {
    "id": "5b0c2a8e-3f1d-4c7a-9e2b-6d4f8a1c0e37",
    "email": "miner@demo.test",
    "full_name": "Rosa Quispe Mamani",
    "preferred_language": "es",
    "is_staff": False,
    "date_joined": "2026-01-12T09:30:00-05:00",
    "memberships": [
        {
            "id": "0f6e2d1c-7b8a-4c3d-9e5f-1a2b3c4d5e6f",
            "organization": {
                "id": "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d",
                "kind": "producer",
                "legal_name": "Rosa Quispe Mamani",
                "country": "PE",
            },
            "role": "admin",
            "created_at": "2026-01-12T09:30:00-05:00",
        }
    ],
}

TOKEN_EXAMPLE: dict[str, Any] = {
    "token": "3c9f0e7a1b2d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a",
    "expiry": "2026-03-03T08:15:00-05:00",
    "user": USER_EXAMPLE,
}

# One row of the list: the schema generator wraps it in a page of results.
TOKEN_DEVICE_EXAMPLE: dict[str, Any] = {
    "id": "d2c1b0a9-8f7e-4d6c-8b5a-493827161504",
    "device_name": "Teléfono de Rosa",
    "created_at": "2026-03-02T08:15:00-05:00",
    "expiry": "2026-03-03T08:15:00-05:00",
    "last_used_at": "2026-03-02T11:42:00-05:00",
    "current": True,
}

DELEGATION_EXAMPLE: dict[str, Any] = {
    "id": "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
    "organization": {
        "id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        "kind": "producer",
        "legal_name": "Cooperativa Minera Mujeres de Oro de Huepetuhe",
        "country": "PE",
    },
    "officer": {
        "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "email": "officer@demo.test",
        "full_name": "Teresa Villca Apaza",
    },
    "support_organization": {
        "id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
        "kind": "support",
        "legal_name": "Asociación de Apoyo Minero Sostenible",
        "country": "PE",
    },
    "scopes": ["evidence", "sites"],
    "valid_until": "2026-12-31",
    "status": "active",
    "granted_by": "coop-admin@demo.test",
    "granted_at": "2026-03-02T08:15:00-05:00",
    "revoked_by": None,
    "revoked_at": None,
}

DELEGATION_REVOKED_EXAMPLE: dict[str, Any] = {
    **DELEGATION_EXAMPLE,
    "status": "revoked",
    "revoked_by": "coop-admin@demo.test",
    "revoked_at": "2026-05-20T16:40:00-05:00",
}
