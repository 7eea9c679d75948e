"""The recipe of docs/deploy.md: two gunicorn servers on two loopback ports share one PostgreSQL database and
one Redis. A client alternating between them meets one login throttle and one Idempotency-Key store.

    .venv/bin/python -m ops.two_servers     (as root it runs PostgreSQL as the `postgres` user)

Exits non-zero when an expectation fails. `LOGIN_RATE` attempts are allowed a minute per client address.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ops.harness import ROOT, Stack, app_env, check, login, main_guard, manage, request, say

LOGIN_RATE = 5


def run_recipe(stack: Stack) -> None:
    say("== Recipe: two app servers, one PostgreSQL, one Redis ==")
    postgres = stack.postgres or stack.start_postgres()
    redis = stack.start_redis()
    database = stack.seeded_database("ops_recipe")
    env = app_env(DATABASE_URL=database, REDIS_URL=redis.url(7), THROTTLE_LOGIN=f"{LOGIN_RATE}/min")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    a = stack.gunicorn("A", env)
    b = stack.gunicorn("B", env)
    say(f"  PostgreSQL 127.0.0.1:{postgres.port}/ops_recipe, Redis {redis.url(7)}")
    say(f"  server A {a.base} (workers {a.workers()}), server B {b.base} (workers {b.workers()})")

    # (a) The login throttle, counted in Redis: attempts alternate A, B, A, ...
    say(f"-- (a) login throttle {LOGIN_RATE}/min, wrong passwords alternating between A and B")
    statuses: list[tuple[str, int]] = []
    wrong = {"email": "buyer2@demo.test", "password": "not-the-password-1"}
    for attempt in range(LOGIN_RATE):
        server = (a, b)[attempt % 2]
        reply = request(server.base, "POST", "/api/v1/auth/login/", body=wrong)
        statuses.append((server.name, reply.status))
    after_a = request(a.base, "POST", "/api/v1/auth/login/", body=wrong)
    after_b = request(b.base, "POST", "/api/v1/auth/login/", body=wrong)
    say("  " + ", ".join(f"{n}:{s}" for n, s in statuses) + f", then A:{after_a.status}, B:{after_b.status}")
    say(f"  Retry-After on A: {after_a.header('Retry-After')} s, on B: {after_b.header('Retry-After')} s")
    check(all(status != 429 for _name, status in statuses), f"the first {LOGIN_RATE} attempts are not throttled")
    check(after_a.status == after_b.status == 429, f"attempt {LOGIN_RATE + 1} is 429 on A and on B")
    check(bool(after_a.header("Retry-After")) and bool(after_b.header("Retry-After")), "both carry Retry-After")

    # (b) One Idempotency-Key: the cooperative signs the negotiated contract on A; the retry lands on B.
    say("-- (b) one Idempotency-Key, the request sent to A then to B")
    redis.flush(7)  # a new throttle window, so that this part's two logins are let in
    say("  (Redis db 7 flushed: the login throttle starts a new window)")
    buyer = login(a.base, "buyer2@demo.test")
    coop = login(b.base, "coop-admin@demo.test")
    contract = request(a.base, "GET", "/api/v1/contracts/?state=negotiating", token=buyer).body["results"][0]
    path = f"/api/v1/contracts/{contract['id']}/accept/"
    body = {"version": 2}
    key = {"Idempotency-Key": "recipe-sign-1"}
    first = request(a.base, "POST", path, token=coop, body=body, headers=key)
    retry = request(b.base, "POST", path, token=coop, body=body, headers=key)
    unkeyed = request(b.base, "POST", path, token=coop, body=body)
    say(f"  A: {first.status} state={_get(first.body, 'state')}")
    say(f"  B: {retry.status} state={_get(retry.body, 'state')} replayed={retry.header('Idempotent-Replayed')}")
    say(f"  B again without the key: {unkeyed.status}, replayed={unkeyed.header('Idempotent-Replayed') or '-'}")
    acceptances = postgres.sql(
        "ops_recipe", "SELECT count(*) FROM trade_contractacceptance WHERE contract_id = %s", contract["id"]
    )[0][0]
    signed_events = postgres.sql(
        "ops_recipe",
        "SELECT count(*) FROM audit_auditevent WHERE action = 'trade.contract.signed' AND target_id = %s",
        contract["id"],
    )[0][0]
    say(f"  database: {acceptances} acceptances, {signed_events} 'signed' audit event for the contract")
    check(first.status == retry.status == 200, "A signs (200) and B replays (200)")
    check(retry.header("Idempotent-Replayed") == "true", "B's answer is the stored one (Idempotent-Replayed)")
    check(first.body == retry.body, "B answers the same body as A")
    check(acceptances == 2, "two acceptances: the proposing side's and the cooperative's")
    check(signed_events == 1, "one signing in the audit log (a repeat without the key is a no-op transition)")

    # Static files from either server: whitenoise serves collectstatic's hashed names.
    manifest = json.loads((ROOT / "staticfiles" / "staticfiles.json").read_text())["paths"]
    css = "/static/" + manifest["rest_framework/css/bootstrap.min.css"]
    on_b = request(b.base, "GET", css)
    say(f"-- static: {css} from B: {on_b.status}, Cache-Control: {on_b.header('Cache-Control')}")
    check(on_b.status == 200, "a hashed static file is served by the app server (DEBUG off)")

    # Logs: gunicorn's access line and Django's own line for one request share its X-Request-ID.
    traced = request(a.base, "GET", "/api/v1/no-such-page/", headers={"X-Request-ID": "recipe-trace-1"})
    time.sleep(0.5)  # let the worker's log lines reach the file
    lines = [json.loads(line) for line in a.log.read_text().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "recipe-trace-1"]
    say(f"-- logs: a 404 with X-Request-ID recipe-trace-1 (answered {traced.status}, echoed")
    say(f"   {traced.header('X-Request-ID')}): JSON lines of server A carrying it: {[line['logger'] for line in mine]}")
    check(traced.header("X-Request-ID") == "recipe-trace-1", "the response returns the request id")
    check({"gunicorn.access", "django.request"} <= {line["logger"] for line in mine}, "access and app lines carry it")

    manage(env, "verify_audit_chain")
    say("  audit chain verifies")


def _get(body: Any, key: str) -> Any:
    return body.get(key) if isinstance(body, dict) else None


def main() -> None:
    with Stack() as stack:
        stack.start_postgres()
        run_recipe(stack)


if __name__ == "__main__":
    main_guard(main)
