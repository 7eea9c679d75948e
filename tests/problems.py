"""What every test checks of an error answer: an RFC 9457 problem, in full.

`assert_problem(response, 409, "quantity_unavailable")` checks the status, the content type, and the five
members every problem carries: `type` (our URN for the code), `title`, `status` (equal to the HTTP status),
`code` and a non-empty `detail`; with `field="ruc"` also that the validation errors name that field and only
it. It returns the body for the test's own checks. `field_errors(response)` is `{field: code}` of a 400.
"""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE_PREFIX = "urn:oro-responsable:problem:"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: Any, status: int, code: str, *, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content[:2000]
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_MEMBERS, body
    assert (body["status"], body["code"]) == (status, code), body
    assert body["type"] == PROBLEM_TYPE_PREFIX + code, body
    assert isinstance(body["title"], str), body
    assert body["title"], body
    assert isinstance(body["detail"], str), body
    assert body["detail"], body
    if field is not None:
        assert {error["field"] for error in body["errors"]} == {field}, body["errors"]
    if "errors" in body:
        # `figures`: what a refusal compared, when it compared amounts (prices/certified.py).
        assert all(set(error) - {"figures"} == {"field", "code", "message"} for error in body["errors"]), body["errors"]
    return body


def field_errors(response: Any, status: int = 400) -> dict[str, str]:
    """{field: code} of a validation problem."""
    body = assert_problem(response, status, "validation_error")
    return {error["field"]: error["code"] for error in body["errors"]}
