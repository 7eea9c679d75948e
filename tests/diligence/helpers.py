"""Helpers for the red-flag tests: open, close and answer flags over HTTP as the named actors."""

from __future__ import annotations

from typing import Any

from tests.conftest import ActorClient

FLAGS = "/api/v1/red-flags/"
LISTINGS = "/api/v1/listings/"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content[:1500]
    return response.json()


def flag_body(subject_kind: str, severity: str = "high", category: str = "protected_area", **subject: Any) -> dict:
    return {
        "subject_kind": subject_kind,
        "category": category,
        "severity": severity,
        "facts": "  The site's polygon overlaps the Tambopata National Reserve by 3.2 ha.  ",
        **{key: str(value) for key, value in subject.items()},
    }


def open_flag(reviewer: ActorClient, subject_kind: str, severity: str = "high", **subject: Any) -> dict:
    return ok(reviewer.post(FLAGS, flag_body(subject_kind, severity, **subject), format="json"), 201)


def close(reviewer: ActorClient, flag: dict, reason: str = "Field visit: the workings are outside the reserve.") -> Any:
    return reviewer.post(f"{FLAGS}{flag['id']}/close/", {"reason": reason}, format="json")


def search_ids(client: Any) -> list[str]:
    return [row["id"] for row in ok(client.get(f"{LISTINGS}?page_size=100"))["results"]]
