"""The queue's fault drills (docs/jobs.md), against real processes on loopback: a Celery worker (prefork, two
processes) and beat on a private redis-server, a private PostgreSQL, and a real SMTP server (aiosmtpd) in this
process that counts every message it accepts by its Message-ID.

5. The mail server refuses (451) for a while, then accepts: every e-mail arrives exactly once.
6. A worker killed with SIGKILL in the middle of a task (an e-mail, while the mail server has its DATA and has not
   answered): the task completes after a new worker starts, nothing doubled.
7. Redis restarted (without its data) while notifications are committed 20 a second: no committed job lost, every
   e-mail once.

The work is real: `notify()` in a transaction, the way every service asks for an e-mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.harness import ROOT, DrillFailed, Redis, Stack, app_env, check, free_port, manage, say, wait_for

CELERY = str(ROOT / ".venv" / "bin" / "celery")


class MailServer:
    """An SMTP server that accepts, refuses every recipient (451), or takes its time before answering DATA."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.refusing = False
        self.slow = 0.0
        self.in_data = threading.Event()
        self.accepted: list[str] = []
        self.refused = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refusing:
            with self._lock:
                self.refused += 1
            return "451 4.3.2 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.slow:
            self.in_data.set()
            try:
                await asyncio.sleep(self.slow)
            except asyncio.CancelledError:  # the client went away before our answer: nothing was accepted
                with self._lock:
                    self.dropped += 1
                raise
            if server.transport is None or server.transport.is_closing():
                with self._lock:
                    self.dropped += 1
                return "421 4.4.2 Connection dropped"
        message_id = email.message_from_bytes(envelope.content)["Message-ID"]
        with self._lock:
            self.accepted.append(message_id)
        return "250 2.0.0 Accepted"

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self.accepted)

    def stop(self) -> None:
        self.controller.stop()


class Celery:
    """`celery -A marketplace worker` (prefork) or `beat`, in its own session so that it can be killed whole."""

    def __init__(self, workdir: Path, env: dict[str, str], role: str, name: str) -> None:  # name: the log's
        self.env, self.role, self.name = env, role, name
        self.log = workdir / f"celery-{name}.log"
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self.role == "worker":
            args = ["worker", "--pool", "prefork", "--concurrency", "2", "--without-gossip", "--without-mingle"]
        else:
            args = ["beat", "--schedule", str(self.workdir / f"beat-{self.name}")]
        self.process = subprocess.Popen(  # noqa: S603
            [CELERY, "-A", "marketplace", *args, "--loglevel", "INFO"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL to the main process and its pool at once: what a machine that dies does."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


# Each drill's broker: its own database on the Redis server and its own queue, so that no process of one drill
# (a worker, a beat's sweeper) ever takes a message of another, whose jobs live in another database.
BROKER_DB = {"smtp": 10, "kill": 11, "redis": 12}


def _queue_env(database: str, redis: Redis, mail: MailServer, name: str) -> dict[str, str]:
    return app_env(
        DATABASE_URL=database,
        CELERY_BROKER_URL=redis.url(BROKER_DB[name]),
        CELERY_QUEUE=f"drill-{name}",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(mail.port),
        EMAIL_TIMEOUT="20",
        JOBS_TIME_SCALE="0.05",  # a 30 s first retry in 1.5 s, a 10-minute lease in 30 s
        JOBS_RESEND_SECONDS="4",
        JOBS_SWEEP_SECONDS="2",
        DJANGO_LOG_LEVEL="INFO",
    )


NOTIFY = """
import time
from django.db import transaction
from accounts.models import User
from notifications.services import notify
users = list(User.objects.filter(is_active=True).order_by("email")[:5])
for n in range({count}):
    with transaction.atomic():
        notify(recipients=[users[n % len(users)]], kind="membership_removed", params={{"organization": "{tag}-%d" % n}})
    time.sleep({pause})
"""


def commit_notifications(env: dict[str, str], tag: str, count: int, pause: float = 0.0) -> None:
    """Commit `count` notifications, each in its own transaction (one e-mail job each), from another process."""
    manage(env, "shell", "-c", NOTIFY.format(count=count, tag=tag, pause=pause))


def _notification_ids(stack: Stack, database: str, tag: str) -> list[str]:
    assert stack.postgres is not None
    rows = stack.postgres.sql(
        database, "SELECT id FROM notifications_notification WHERE params->>'organization' LIKE %s", f"{tag}-%"
    )
    return [str(row[0]) for row in rows]


def _jobs_by_state(stack: Stack, database: str) -> dict[str, int]:
    assert stack.postgres is not None
    rows = stack.postgres.sql(
        database, "SELECT state, count(*) FROM jobs_job WHERE name = 'notifications.email' GROUP BY state"
    )
    return {str(state): int(count) for state, count in rows}


def _each_once(mail: MailServer, ids: list[str], expected: int) -> None:
    """Each notification's e-mail accepted exactly once, by its Message-ID `<notification.{id}@domain>`."""
    by_id = Counter(mid.split("@")[0].removeprefix("<notification.") for mid in mail.counts().elements())
    check(len(ids) == expected, f"{expected} notifications committed")
    check(all(by_id[i] >= 1 for i in ids), f"the mail server accepted an e-mail for each of the {expected}")
    doubled = [i for i in ids if by_id[i] > 1]
    check(not doubled, f"none twice ({len(doubled)} accepted more than once)")


def _all_done(stack: Stack, database: str) -> bool:
    states = _jobs_by_state(stack, database)
    return set(states) <= {"done"}


@dataclass
class QueueRig:
    mail: MailServer
    database: str
    env: dict[str, str]
    worker: Celery


def _rig(stack: Stack, scope: contextlib.ExitStack, redis: Redis, name: str) -> QueueRig:
    """A mail server, a copy of the demo database, and a worker and beat on `redis`, all stopped when the drill
    ends (`scope`), before the next drill starts."""
    mail = MailServer()
    scope.callback(mail.stop)
    database = f"ops_queue_{name}"
    env = _queue_env(stack.seeded_database(database), redis, mail, name)
    worker = _celery(stack, scope, env, "worker", name)
    _celery(stack, scope, env, "beat", name)
    return QueueRig(mail, database, env, worker)


def _celery(stack: Stack, scope: contextlib.ExitStack, env: dict[str, str], role: str, name: str) -> Celery:
    process = Celery(stack.workdir, env, role, f"{role}-{name}")
    scope.callback(process.stop)
    process.start()
    return process


def drill_smtp(stack: Stack, scope: contextlib.ExitStack, redis: Redis) -> None:
    say("== Drill 5: the mail server refuses for a while, then accepts ==")
    rig = _rig(stack, scope, redis, "smtp")
    mail, database, env = rig.mail, rig.database, rig.env
    mail.refusing = True
    commit_notifications(env, "smtp", 20)
    wait_for(lambda: mail.refused >= 20, 60, "every e-mail tried once and refused")
    say(f"  the mail server refused {mail.refused} recipients; jobs: {_jobs_by_state(stack, database)}")
    time.sleep(3)  # a few retries meet the refusal too
    mail.refusing = False
    say(f"  accepting again after {mail.refused} refusals")
    wait_for(lambda: _all_done(stack, database), 120, "every e-mail job done")
    _each_once(mail, _notification_ids(stack, database, "smtp"), 20)
    check(mail.refused > 20, "some were tried again while it still refused (backoff, then success)")


def drill_killed_worker(stack: Stack, scope: contextlib.ExitStack, redis: Redis) -> None:
    say("== Drill 6: a worker killed with SIGKILL in the middle of a task ==")
    rig = _rig(stack, scope, redis, "kill")
    mail, database, env = rig.mail, rig.database, rig.env
    mail.slow = 4.0
    commit_notifications(env, "kill", 4)
    wait_for(mail.in_data.is_set, 60, "an e-mail in the middle of its DATA")
    rig.worker.kill()
    say("  worker killed (SIGKILL to the main process and its pool) while the mail server held a message")
    wait_for(lambda: mail.dropped >= 1, 10, "the mail server saw the connection drop before its answer")
    mail.slow = 0.5
    _celery(stack, scope, env, "worker", "kill-again")
    say("  a new worker started")
    wait_for(lambda: _all_done(stack, database), 120, "every e-mail job done")
    _each_once(mail, _notification_ids(stack, database, "kill"), 4)
    assert stack.postgres is not None
    retried = stack.postgres.sql(
        database, "SELECT count(*) FROM jobs_job WHERE name = 'notifications.email' AND attempts > 1"
    )
    check(int(retried[0][0]) >= 1, "the killed task ran again (a second attempt) and completed")


def drill_redis_restart(stack: Stack, scope: contextlib.ExitStack, redis: Redis) -> None:
    say("== Drill 7: Redis restarted under load ==")
    queue_redis = stack.start_redis()  # its own server: this drill stops it
    rig = _rig(stack, scope, queue_redis, "redis")
    mail, database, env = rig.mail, rig.database, rig.env
    load = threading.Thread(target=commit_notifications, args=(env, "redis", 200, 0.05))
    load.start()
    time.sleep(3)
    queue_redis.stop()
    say(f"  redis-server on port {queue_redis.port} stopped, its queue lost (no persistence)")
    time.sleep(3)
    queue_redis.start()
    say(f"  redis-server on port {queue_redis.port} started again, empty")
    workers = [rig.worker]
    _supervise(stack, scope, env, workers)
    load.join()

    def supervised_and_done() -> bool:
        _supervise(stack, scope, env, workers)
        return _all_done(stack, database)

    wait_for(supervised_and_done, 180, "every e-mail job done")
    _each_once(mail, _notification_ids(stack, database, "redis"), 200)


def _supervise(stack: Stack, scope: contextlib.ExitStack, env: dict[str, str], workers: list[Celery]) -> None:
    """What production's supervisor does (docs/deploy.md: Restart=always): kombu can end a worker on a lost
    connection ("Unrecoverable error"), and a new one is started. What the drill must show is that no committed
    job was lost, whichever worker runs it."""
    current = workers[-1]
    if current.process is not None and current.process.poll() is not None:
        say("  the worker exited when Redis went away; started again, as its supervisor would")
        workers.append(_celery(stack, scope, env, "worker", f"redis-again-{len(workers)}"))


QUEUE_DRILLS = {"smtp": drill_smtp, "killed": drill_killed_worker, "redis-restart": drill_redis_restart}
BROKER_NAMES = {"smtp": "smtp", "killed": "kill", "redis-restart": "redis"}  # the drill's name in its logs


def run(name: str, stack: Stack, redis: Redis) -> None:
    with contextlib.ExitStack() as scope:  # this drill's processes, stopped before the next drill
        try:
            QUEUE_DRILLS[name](stack, scope, redis)
        except DrillFailed:
            for log in sorted(stack.workdir.glob(f"celery-*-{BROKER_NAMES[name]}*.log")):
                lines = log.read_text(errors="replace").splitlines()
                notable = [line for line in lines if '"level": "INFO"' not in line]  # warnings, errors, tracebacks
                say(f"--- {log.name}: its warnings and errors (last 25), then its last 10 lines")
                say("\n".join([*notable[-25:], "...", *lines[-10:]]))
            raise
