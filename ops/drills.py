"""The fault drills of docs/deploy.md, after the two-server recipe, against real processes on loopback:

1. PostgreSQL restarted during a load run: no 500 from 5 s after it is back; no half-written contract or
   deposit; the audit chain verifies.
2. Redis stopped: the API keeps answering, throttles let requests through, /readyz says 503; back when
   Redis is back.
3. Stripe hanging, then refusing connections: deposit creation answers a retryable 503 (Retry-After)
   within its timeout, the deposit stays pending; `reconcile_deposits` finishes it once Stripe (localstripe)
   is back, and the buyer's retry gets the same deposit.
4. A gunicorn worker SIGKILLed while it signs a contract: nothing partial, a new worker is started, the
   client sees a dropped connection, and a retry with the same Idempotency-Key signs once.
5-7. The queue (ops/queue_drills.py): the mail server refusing then accepting, a Celery worker SIGKILLed mid-task,
   Redis restarted under load; every e-mail arrives exactly once.

    .venv/bin/python -m ops.drills [recipe|postgres|redis|stripe|worker|smtp|killed|redis-restart ...]

(all by default).

As root, the private PostgreSQL runs as the `postgres` user. Exit status 1 when an expectation fails.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from ops import queue_drills
from ops.harness import (
    DrillFailed,
    Gunicorn,
    LocalStripe,
    Redis,
    Reply,
    Stack,
    app_env,
    check,
    free_port,
    login,
    main_guard,
    manage,
    request,
    say,
    timed,
    wait_for,
)
from ops.two_servers import run_recipe

STRIPE_KEY = "sk_test_ops_drills"
UNTHROTTLED = {
    "THROTTLE_ANON": "100000/min",
    "THROTTLE_USER": "100000/min",
    "THROTTLE_LOGIN": "100000/min",
    "THROTTLE_LOGIN_ACCOUNT": "100000/hour",
    "THROTTLE_INQUIRIES": "100000/hour",
    "THROTTLE_PROPOSALS": "100000/hour",
    "THROTTLE_DEPOSITS": "100000/hour",
    "THROTTLE_UPLOADS": "100000/hour",
}


@dataclass
class Drills:
    stack: Stack
    localstripe: LocalStripe
    redis: Redis

    @property
    def postgres(self) -> Any:
        assert self.stack.postgres is not None
        return self.stack.postgres


# --- 1. PostgreSQL restarted during a load run -------------------------------------------------------
@dataclass
class Sample:
    at: float  # seconds since the load started
    what: str
    status: int


def drill_postgres(d: Drills) -> None:
    say("== Drill 1: PostgreSQL restarted during a load run ==")
    pg = d.postgres
    database = d.stack.seeded_database("ops_pg")
    env = app_env(
        DATABASE_URL=database,
        REDIS_URL=d.redis.url(1),
        STRIPE_SECRET_KEY=STRIPE_KEY,
        STRIPE_API_BASE=d.localstripe.url,
        STRIPE_TIMEOUT_SECONDS="5",
        STRIPE_MAX_NETWORK_RETRIES="0",
        **UNTHROTTLED,
    )
    server = d.stack.gunicorn("pg", env, workers=3)
    buyer = login(server.base, "buyer2@demo.test")
    coop = login(server.base, "coop-admin@demo.test")
    negotiating = request(server.base, "GET", "/api/v1/contracts/?state=negotiating", token=buyer).body["results"][0]
    detail = request(server.base, "GET", f"/api/v1/contracts/{negotiating['id']}/", token=buyer).body
    listing, site = detail["listing"], detail["versions"][-1]["origin_site"]

    samples: list[Sample] = []
    lock = threading.Lock()
    stop = threading.Event()
    started = time.monotonic()

    def record(what: str, reply: Reply) -> Reply:
        with lock:
            samples.append(Sample(time.monotonic() - started, what, reply.status))
        return reply

    def reader() -> None:
        while not stop.is_set():
            record("read", request(server.base, "GET", "/api/v1/contracts/?state=signed", token=buyer, timeout=20))
            record("read", request(server.base, "GET", f"/api/v1/listings/{listing}/", token=buyer, timeout=20))

    def trader() -> None:
        """Inquiry, contract, signature, deposit: the writes that must never be left half-done."""
        while not stop.is_set():
            key = uuid.uuid4().hex
            asked = record(
                "write",
                request(
                    server.base,
                    "POST",
                    "/api/v1/inquiries/",
                    token=buyer,
                    body={"listing": listing, "grams": "1.000", "message": "Drill: 1 g"},
                    timeout=20,
                ),
            )
            if asked.status != 201:
                time.sleep(0.2)
                continue
            terms = _fixed_terms(site) | {"inquiry": asked.body["id"]}
            made = record(
                "write",
                request(
                    server.base,
                    "POST",
                    "/api/v1/contracts/",
                    token=coop,
                    body=terms,
                    headers={"Idempotency-Key": f"c-{key}"},
                    timeout=20,
                ),
            )
            if made.status != 201:
                continue
            contract = made.body["id"]
            signed = record(
                "write",
                request(
                    server.base,
                    "POST",
                    f"/api/v1/contracts/{contract}/accept/",
                    token=buyer,
                    body={"version": 1},
                    headers={"Idempotency-Key": f"a-{key}"},
                    timeout=20,
                ),
            )
            if signed.status != 200:
                continue
            record(
                "write",
                request(
                    server.base,
                    "POST",
                    f"/api/v1/contracts/{contract}/deposit/",
                    token=buyer,
                    headers={"Idempotency-Key": f"d-{key}"},
                    timeout=20,
                ),
            )

    threads = [threading.Thread(target=reader), threading.Thread(target=trader), threading.Thread(target=trader)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(6)
        down_at = time.monotonic() - started
        pg.stop("fast")
        time.sleep(3)
        pg.start()
        up_at = time.monotonic() - started
        time.sleep(12)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    say(f"  load: 1 reader and 2 writer threads, gunicorn 3 workers; PostgreSQL stopped at {down_at:.1f} s,")
    say(f"  back (pg_ctl start returned) at {up_at:.1f} s; {len(samples)} requests in {samples[-1].at:.1f} s")
    windows = [
        ("before", lambda s: s.at < down_at),
        ("down", lambda s: down_at <= s.at < up_at),
        ("back +0-5 s", lambda s: up_at <= s.at < up_at + 5),
        ("back +5 s on", lambda s: s.at >= up_at + 5),
    ]
    for label, inside in windows:
        counts = Counter(f"{s.what} {s.status}" for s in samples if inside(s))
        say(f"  {label:>12}: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    late_500 = [s for s in samples if s.at >= up_at + 5 and s.status >= 500]
    after_up_500 = [s for s in samples if s.at >= up_at and s.status >= 500]
    last_500 = max((s.at for s in samples if s.status >= 500), default=None)
    if last_500 is not None:
        say(f"  last 5xx at {last_500:.2f} s ({last_500 - up_at:+.2f} s from PostgreSQL back)")
    say(f"  5xx after PostgreSQL was back: {len(after_up_500)}")
    recovered = [s for s in samples if s.at >= up_at + 5 and s.status in (200, 201)]
    check(not late_500, "no 500 from 5 s after PostgreSQL is back")
    down_statuses = Counter(s.status for s in samples if s.status >= 500)
    check(down_statuses.get(500, 0) == 0, "no 500 at all: an unreachable database answers a retryable 503")
    check(any(s.what == "write" for s in recovered), "writes succeed again after the restart")
    check(any(s.what == "read" for s in recovered), "reads succeed again after the restart")
    _check_nothing_half_written(d, "ops_pg", env)


def _fixed_terms(site: str) -> dict[str, Any]:
    return {
        "quantity_grams": "1.000",
        "fineness": "920.0",
        "price_basis": "fixed",
        "price_per_fine_gram": {"amount_minor": 9800, "currency": "USD"},
        "lbma_adjustment_percent": None,
        "premium_per_kg_fine_minor": 0,
        "incoterm": "FCA",
        "incoterm_place": "Puerto Maldonado",
        "delivery_date": time.strftime("%Y-%m-%d", time.gmtime(time.time() + 30 * 86400)),
        "deposit_percent": "10.00",
        "payment_terms": "Drill.",
        "origin_site": site,
    }


HALF_WRITTEN = {
    "signed contracts without their signed version or terms hash": """
        SELECT count(*) FROM trade_contract
        WHERE state <> 'negotiating' AND state <> 'declined' AND state <> 'withdrawn'
          AND (signed_version_id IS NULL OR terms_hash = '')""",
    "signed contracts without both acceptances": """
        SELECT count(*) FROM trade_contract c
        WHERE c.signed_version_id IS NOT NULL
          AND (SELECT count(*) FROM trade_contractacceptance a WHERE a.contract_id = c.id) <> 2""",
    "contracts without a version": """
        SELECT count(*) FROM trade_contract c
        WHERE NOT EXISTS (SELECT 1 FROM trade_contractversion v WHERE v.contract_id = c.id)""",
    "contracts whose signing is missing from the audit log": """
        SELECT count(*) FROM trade_contract c WHERE c.signed_version_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM audit_auditevent e
                          WHERE e.action = 'trade.contract.signed' AND e.target_id = c.id::text)""",
    "deposits without their idempotency key": """
        SELECT count(*) FROM trade_deposit WHERE idempotency_key <> 'deposit:' || id::text || ':create'""",
    "deposits past requires_payment without a payment intent": """
        SELECT count(*) FROM trade_deposit WHERE status <> 'requires_payment' AND status <> 'cancelled'
          AND provider_intent_id IS NULL""",
    "deposits missing from the audit log": """
        SELECT count(*) FROM trade_deposit d WHERE NOT EXISTS (
          SELECT 1 FROM audit_auditevent e WHERE e.target_id = d.id::text)""",
}


def _check_nothing_half_written(d: Drills, database: str, env: dict[str, str]) -> None:
    counts = {what: d.postgres.sql(database, query)[0][0] for what, query in HALF_WRITTEN.items()}
    contracts, signed, deposits, intents = d.postgres.sql(
        database,
        """SELECT (SELECT count(*) FROM trade_contract), (SELECT count(*) FROM trade_contract WHERE state = 'signed'),
                  (SELECT count(*) FROM trade_deposit),
                  (SELECT count(*) FROM trade_deposit WHERE provider_intent_id IS NOT NULL)""",
    )[0]
    say(f"  database: {contracts} contracts ({signed} signed), {deposits} deposits ({intents} with their intent)")
    stale = d.postgres.sql(database, "SELECT count(*) FROM core_idempotencyrecord WHERE state = 'in_progress'")[0][0]
    say(f"  Idempotency-Keys left in progress by requests cut off by the outage: {stale} (a retry takes them over")
    say("  after IDEMPOTENCY_IN_PROGRESS_SECONDS)")
    for what, count in counts.items():
        check(count == 0, f"no {what} ({count})")
    manage(env, "verify_audit_chain")
    say("  ok: the audit chain verifies")


# --- 2. Redis stopped -------------------------------------------------------------------------------
def drill_redis(d: Drills) -> None:
    say("== Drill 2: Redis stopped ==")
    redis = d.stack.start_redis()
    database = d.stack.seeded_database("ops_redis")
    env = app_env(DATABASE_URL=database, REDIS_URL=redis.url(2), THROTTLE_LOGIN="5/min")
    server = d.stack.gunicorn("redis", env)
    buyer = login(server.base, "buyer2@demo.test")
    check(request(server.base, "GET", "/readyz").status == 200, "/readyz is 200 with Redis up")

    redis.stop()
    say(f"  redis-server on port {redis.port} stopped")
    replies = {
        "GET /healthz": request(server.base, "GET", "/healthz"),
        "GET /readyz": request(server.base, "GET", "/readyz"),
        "GET /api/v1/me/": request(server.base, "GET", "/api/v1/me/", token=buyer),
        "GET /api/v1/contracts/": request(server.base, "GET", "/api/v1/contracts/", token=buyer),
        "POST /api/v1/auth/login/": request(
            server.base, "POST", "/api/v1/auth/login/", body={"email": "coop-admin@demo.test", "password": _pw()}
        ),
    }
    for what, reply in replies.items():
        say(f"  {what}: {reply.status} in {reply.seconds * 1000:.0f} ms")
    say(f"  /readyz says {replies['GET /readyz'].body}")
    wrong = [
        request(server.base, "POST", "/api/v1/auth/login/", body={"email": "buyer2@demo.test", "password": "nope-123"})
        for _ in range(8)
    ]
    say(f"  8 wrong logins (limit 5/min): {[r.status for r in wrong]}")
    check(replies["GET /healthz"].status == 200, "/healthz 200")
    check(replies["GET /readyz"].status == 503, "/readyz 503: the load balancer sees the cache is gone")
    check(replies["GET /readyz"].body.get("checks", {}).get("cache") == "unavailable", "/readyz names the cache")
    check(all(replies[w].status == 200 for w in replies if w.startswith(("GET /api", "POST"))), "the API answers 200")
    check(all(r.status == 401 for r in wrong), "throttles let requests through (no 429, no 500) without Redis")

    redis.start()
    say(f"  redis-server on port {redis.port} started again")
    wait_for(lambda: request(server.base, "GET", "/readyz").status == 200, 10, "/readyz 200 again")
    say("  ok: /readyz 200 again")
    again = [
        request(server.base, "POST", "/api/v1/auth/login/", body={"email": "buyer2@demo.test", "password": "nope-123"})
        for _ in range(6)
    ]
    say(f"  6 wrong logins: {[r.status for r in again]}")
    check(again[-1].status == 429, "the login throttle counts again once Redis is back")


def _pw() -> str:
    from ops.harness import DEMO_PASSWORD

    return DEMO_PASSWORD


# --- 3. Stripe hanging, then refusing, then back ------------------------------------------------------
def drill_stripe(d: Drills) -> None:
    say("== Drill 3: Stripe hanging, then down, then back (localstripe) ==")
    database = d.stack.seeded_database("ops_stripe")
    timeout_s, retries = 2, 1
    hole = d.stack.black_hole()
    base_env = {
        "DATABASE_URL": database,
        "REDIS_URL": d.redis.url(3),
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_TIMEOUT_SECONDS": str(timeout_s),
        "STRIPE_MAX_NETWORK_RETRIES": str(retries),
    }
    bound = timeout_s * (retries + 1) + 10  # each try's timeout, stripe-python's backoff, and slack
    hanging = d.stack.gunicorn("stripe-hangs", app_env(**base_env, STRIPE_API_BASE=f"http://127.0.0.1:{hole.port}"))
    buyer = login(hanging.base, "buyer2@demo.test")
    signed = request(hanging.base, "GET", "/api/v1/contracts/?state=signed", token=buyer).body["results"]
    # The demo's signed contract with a deposit agreed (its other one, settled by bank transfer, has none).
    contract = next(c["id"] for c in signed if c["latest_version"]["deposit_amount"])
    path = f"/api/v1/contracts/{contract}/deposit/"
    key = {"Idempotency-Key": "drill-pay-1"}

    hung = request(hanging.base, "POST", path, token=buyer, headers=key)
    say(
        f"  Stripe accepts and never answers (timeout {timeout_s} s, {retries} retry): {hung.status} "
        f"{_code(hung)} Retry-After={hung.header('Retry-After')} in {hung.seconds:.1f} s ({hole.accepted} connections)"
    )
    check(hung.status == 503 and _code(hung) == "payment_provider_unavailable", "503 payment_provider_unavailable")
    check(hung.header("Retry-After").isdigit(), "with Retry-After")
    check(hung.seconds <= bound, f"answered within the gateway's timeout ({bound} s with retries and slack)")
    check(hole.accepted == retries + 1, "one try and its retry reached Stripe")
    _check_deposit_pending(d, "ops_stripe")
    hanging.stop()

    refusing = d.stack.gunicorn("stripe-down", app_env(**base_env, STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}"))
    down = request(refusing.base, "POST", path, token=buyer, headers=key)
    say(
        f"  Stripe refuses connections: {down.status} {_code(down)} Retry-After={down.header('Retry-After')} "
        f"in {down.seconds:.1f} s"
    )
    check(down.status == 503 and down.header("Retry-After").isdigit(), "503 with Retry-After")
    deposit_id = _check_deposit_pending(d, "ops_stripe")
    refusing.stop()

    back_env = app_env(**base_env, STRIPE_API_BASE=d.localstripe.url)
    out = manage(back_env, "reconcile_deposits")
    say("  reconcile_deposits with Stripe back: " + " | ".join(out.strip().splitlines()))
    intent_id, status = d.postgres.sql(
        "ops_stripe", "SELECT provider_intent_id, status FROM trade_deposit WHERE id = %s", deposit_id
    )[0]
    intent = d.localstripe.get(f"/v1/payment_intents/{intent_id}") if intent_id else {}
    check(bool(intent_id) and status == "requires_payment", f"the deposit has its intent {intent_id}, still to pay")
    check(intent.get("metadata", {}).get("deposit") == deposit_id, "the intent at Stripe names the deposit")
    back = d.stack.gunicorn("stripe-back", back_env)
    retry = request(back.base, "POST", path, token=buyer, headers=key)
    say(f"  the buyer's retry (same Idempotency-Key): {retry.status}, deposit {retry.body.get('id')}")
    check(retry.status == 200 and retry.body.get("id") == deposit_id, "the retry answers the same deposit")
    check(retry.body.get("client_secret") == intent.get("client_secret"), "with the intent's client secret")
    count = d.postgres.sql("ops_stripe", "SELECT count(*) FROM trade_deposit")[0][0]
    check(count == 1, "one deposit in all")


def _code(reply: Reply) -> str:
    return str(reply.body.get("code")) if isinstance(reply.body, dict) else "-"


def _check_deposit_pending(d: Drills, database: str) -> str:
    rows = d.postgres.sql(
        database, "SELECT id::text, status, provider_intent_id, intent_claimed_at, idempotency_key FROM trade_deposit"
    )
    say(f"  deposit rows: {[(r[1], r[2], r[3], r[4]) for r in rows]}")
    check(len(rows) == 1, "one deposit row, kept for later")
    check(rows[0][1:4] == ("requires_payment", None, None), "pending, no intent, no claim held")
    return str(rows[0][0])


# --- 4. A worker killed mid-request -----------------------------------------------------------------
def drill_worker(d: Drills) -> None:
    say("== Drill 4: a gunicorn worker SIGKILLed while it signs a contract ==")
    lease = 8
    database = d.stack.seeded_database("ops_worker")
    env = app_env(
        DATABASE_URL=database,
        REDIS_URL=d.redis.url(4),
        GUNICORN_TIMEOUT="6",
        IDEMPOTENCY_IN_PROGRESS_SECONDS=str(lease),
    )
    server = d.stack.gunicorn("worker", env)
    buyer = login(server.base, "buyer2@demo.test")
    coop = login(server.base, "coop-admin@demo.test")
    contract = request(server.base, "GET", "/api/v1/contracts/?state=negotiating", token=buyer).body["results"][0]
    cid = contract["id"]
    path = f"/api/v1/contracts/{cid}/accept/"
    key = {"Idempotency-Key": "drill-sign-1"}
    workers_before = server.workers()
    before = _contract_facts(d, cid)

    # Hold the contract's row so the signing worker stops inside its transaction, then kill it there.
    holder = psycopg.connect(d.postgres.url("ops_worker"))
    holder.execute("SELECT id FROM trade_contract WHERE id = %s FOR UPDATE", (cid,))
    client_port: list[int] = []
    outcome: list[Reply] = []
    signer = threading.Thread(
        target=lambda: outcome.append(
            request(
                server.base, "POST", path, token=coop, body={"version": 2}, headers=key, on_connect=client_port.append
            )
        )
    )
    signer.start()
    try:
        wait_for(lambda: _waiting_on_lock(d, "ops_worker"), 10, "the signing request waits on the contract's row")
        victim = _worker_serving(server, client_port[0])
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        say(f"  worker {victim} (of {workers_before}) killed while its transaction waited on the contract's row")
        signer.join(timeout=30)
    finally:
        holder.rollback()
        holder.close()
    cut = outcome[0]
    say(f"  the client got: status {cut.status} ({cut.error or 'an HTTP answer'})")
    check(cut.status == 0 or cut.status >= 500, "the client sees the request fail (it may retry)")
    wait_for(
        lambda: victim not in server.workers() and len(server.workers()) == len(workers_before),
        30,
        "the master replacing the killed worker",
    )
    say(
        f"  ok: the master replaced it, {time.monotonic() - killed_at:.1f} s after the kill: workers {server.workers()}"
    )

    after_kill = _contract_facts(d, cid)
    say(f"  contract (state, acceptances, 'signed' events): before {before}, after the kill {after_kill}")
    check(after_kill == before and before[0] == "negotiating", "nothing partial: the contract is as it was")
    early = request(server.base, "POST", path, token=coop, body={"version": 2}, headers=key)
    say(f"  an immediate retry with the key: {early.status} {_code(early)}")
    check(early.status == 409 and _code(early) == "idempotency_key_in_progress", "409 while the dead claim is fresh")
    time.sleep(max(0.0, lease + 1 - (time.monotonic() - killed_at)))
    retry = request(server.base, "POST", path, token=coop, body={"version": 2}, headers=key)
    replay = request(server.base, "POST", path, token=coop, body={"version": 2}, headers=key)
    say(
        f"  after the {lease} s lease: retry {retry.status} state={retry.body.get('state')}, "
        f"again {replay.status} replayed={replay.header('Idempotent-Replayed')}"
    )
    check(retry.status == 200 and retry.body.get("state") == "signed", "the retry signs")
    check(replay.header("Idempotent-Replayed") == "true" and replay.body == retry.body, "the next one is a replay")
    state, acceptances, signed = _contract_facts(d, cid)
    check((state, acceptances, signed) == ("signed", 2, 1), "signed once: two acceptances, one audit event")
    manage(env, "verify_audit_chain")
    say("  ok: the audit chain verifies")


def _contract_facts(d: Drills, cid: str) -> tuple[str, int, int]:
    row = d.postgres.sql(
        "ops_worker",
        """SELECT state, (SELECT count(*) FROM trade_contractacceptance WHERE contract_id = c.id),
                  (SELECT count(*) FROM audit_auditevent WHERE action = 'trade.contract.signed'
                     AND target_id = c.id::text)
           FROM trade_contract c WHERE id = %s""",
        cid,
    )[0]
    return str(row[0]), int(row[1]), int(row[2])


def _waiting_on_lock(d: Drills, database: str) -> bool:
    rows = d.postgres.sql(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
        database,
    )
    return bool(rows[0][0])


def _queue_drill(name: str, d: Drills) -> None:
    queue_drills.run(name, d.stack, d.redis)


def _worker_serving(server: Gunicorn, client_port: int) -> int:
    """The worker holding the accepted socket whose peer is our client's port (from /proc/net/tcp)."""
    inode = ""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server.port and remote_port == client_port:
            inode = fields[9]
    if not inode:
        raise DrillFailed("could not find the server side of the request's connection")
    for pid in server.workers():
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise DrillFailed("no worker holds the request's connection")


DRILLS: dict[str, Any] = {
    "postgres": drill_postgres,
    "redis": drill_redis,
    "stripe": drill_stripe,
    "worker": drill_worker,
    **{name: functools.partial(_queue_drill, name) for name in queue_drills.QUEUE_DRILLS},
}


def main() -> None:
    chosen = sys.argv[1:] or ["recipe", *DRILLS]
    unknown = set(chosen) - {"recipe", *DRILLS}
    if unknown:
        raise SystemExit(f"unknown drill(s): {', '.join(sorted(unknown))}")
    started = time.monotonic()
    with Stack(keep=bool(os.environ.get("OPS_KEEP"))) as stack:
        with timed("PostgreSQL, Redis and localstripe started"):
            stack.start_postgres()
            redis = stack.start_redis()
            localstripe = stack.start_localstripe()
        drills = Drills(stack=stack, localstripe=localstripe, redis=redis)
        for name in chosen:
            with timed(name):
                if name == "recipe":
                    run_recipe(stack)
                else:
                    DRILLS[name](drills)
    say(f"All drills passed in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main_guard(main)
