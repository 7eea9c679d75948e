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
