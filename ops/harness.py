"""What the recipe and the drills start and stop: a private PostgreSQL cluster, a private redis-server,
localstripe, a TCP server that never answers, gunicorn processes; a small HTTP client; checks that fail
the run. Standard library plus psycopg (already a dependency of the app)."""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DEMO_PASSWORD = "oro-limpio-2026"  # seed_demo's default (README)


class DrillFailed(AssertionError):
    """An expectation of a drill was not met: the run exits non-zero."""


def check(condition: bool, what: str) -> None:
    if not condition:
        raise DrillFailed(what)
    say(f"  ok: {what}")


def say(line: str) -> None:
    print(line, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise DrillFailed(f"{what}: not within {timeout:.0f} s")


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)  # noqa: S603


def _stop_group(process: subprocess.Popen[Any], grace: float = 10) -> None:
    """Stop a process we started in its own session, and its children (gunicorn's workers)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- PostgreSQL: a private cluster in /tmp, never the shared one ------------------------------------
class Postgres:
    def __init__(self, workdir: Path) -> None:
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
        if not versions:
            raise DrillFailed("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = Path(versions[-1])
        self.port = free_port()
        self.data = workdir / "pgdata"
        self.log = workdir / "postgres.log"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _pg(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run([*self.as_postgres, str(self.bin / args[0]), *args[1:]])

    def init(self) -> None:
        self.data.mkdir()
        if self.as_postgres:
            shutil.chown(self.data, "postgres")
            shutil.chown(self.data.parent, "postgres")
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off -c max_connections=60"
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(query, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def create_database(self, name: str, template: str | None = None) -> None:
        suffix = f" TEMPLATE {template}" if template else ""
        self.sql("postgres", f'CREATE DATABASE "{name}"{suffix}')


# --- Redis: a private redis-server ------------------------------------------------------------------
class Redis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise DrillFailed("redis-server is not installed")
        self.process = subprocess.Popen(  # noqa: S603
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=(self.workdir / f"redis-{self.port}.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self.answers, 10, "redis-server answering")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)
            self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def flush(self, db: int) -> None:
        import redis

        with redis.Redis(host="127.0.0.1", port=self.port, db=db) as client:
            client.flushdb()


# --- Stripe: localstripe, and a socket that accepts and never answers -----------------------------------
class LocalStripe:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        env = {**os.environ, "TMPDIR": str(self.workdir)}
        self.process = subprocess.Popen(  # noqa: S603
            [PYTHON, "-m", "tests.localstripe_server"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=(self.workdir / "localstripe.log").open("ab"),
            start_new_session=True,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().decode().strip()
        if not port:
            raise DrillFailed("localstripe did not start (see localstripe.log)")
        self.url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_get_ok(self.url + "/v1/payment_intents", token="sk_test_ops"), 20, "localstripe")

    def get(self, path: str) -> Any:
        reply = request(self.url, "GET", path, headers={"Authorization": "Bearer sk_test_ops"})
        return reply.body

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


class BlackHole:
    """A TCP server that accepts connections and never answers: a Stripe that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.held: list[socket.socket] = []
        self.accepted = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self.held.append(conn)  # read nothing, answer nothing, keep it open

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        for conn in self.held:
            conn.close()
        self.sock.close()


# --- gunicorn -----------------------------------------------------------------------------------------
def app_env(**overrides: str) -> dict[str, str]:
    """A production environment for the app (DEBUG off, JSON logs), plain HTTP on loopback."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DJANGO_", "GUNICORN_", "STRIPE_", "THROTTLE_", "DATABASE_", "REDIS_", "EVIDENCE_", "CELERY_", "JOBS_")
        )
    }
    env.update(
        {
            "DJANGO_SECRET_KEY": "ops-" + secrets.token_urlsafe(48),
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_LOG_FORMAT": "json",
            "DJANGO_LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    try:
        return _run([PYTHON, "manage.py", *args], cwd=ROOT, env=env).stdout
    except subprocess.CalledProcessError as exc:
        raise DrillFailed(f"manage.py {' '.join(args)} failed:\n{exc.stdout}\n{exc.stderr}") from exc


class Gunicorn:
    def __init__(self, name: str, workdir: Path, env: dict[str, str], workers: int = 2) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"gunicorn-{name}.log"
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": str(workers)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [GUNICORN, "marketplace.wsgi", "--config", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: http_get_ok(self.base + "/healthz"), 60, f"gunicorn {self.name} answering /healthz")

    def workers(self) -> list[int]:
        """The master's children: its live workers' pids."""
        assert self.process is not None
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)
            self.process = None


# --- HTTP ----------------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int  # 0: no HTTP answer (connection refused, reset or timed out)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    seconds: float = 0.0
    error: str = ""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def request(
    base: str,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
    on_connect: Any = None,
) -> Reply:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Token {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    started = time.monotonic()
    try:
        conn.connect()
        if on_connect is not None:
            on_connect(conn.sock.getsockname()[1])
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        received = {key.lower(): value for key, value in response.getheaders()}
        parsed: Any = raw.decode(errors="replace")
        if "json" in received.get("content-type", ""):
            parsed = json.loads(raw) if raw else None
        return Reply(response.status, received, parsed, time.monotonic() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Reply(0, seconds=time.monotonic() - started, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


def http_get_ok(url: str, token: str | None = None) -> bool:
    base, _, path = url.removeprefix("http://").partition("/")
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return request("http://" + base, "GET", "/" + path, headers=headers, timeout=2).status == 200


def login(base: str, email: str, password: str = DEMO_PASSWORD) -> str:
    reply = request(base, "POST", "/api/v1/auth/login/", body={"email": email, "password": password})
    if reply.status != 200:
        raise DrillFailed(f"login of {email} answered {reply.status}: {reply.body}")
    return str(reply.body["token"])


# --- The whole set-up, torn down on any exit -----------------------------------------------------------
class Stack(contextlib.ExitStack):
    """Everything a run starts, stopped in reverse order on any exit (an exception, SIGTERM, Ctrl-C)."""

    def __init__(self, keep: bool = False) -> None:
        super().__init__()
        self.workdir = Path(tempfile.mkdtemp(prefix="oro-ops-"))
        self.workdir.chmod(0o755)
        if not keep:
            self.callback(shutil.rmtree, self.workdir, True)
        else:
            self.callback(say, f"(kept {self.workdir})")
        signal.signal(signal.SIGTERM, _exit_on_signal)
        self.postgres: Postgres | None = None
        self.template = ""

    def start_postgres(self) -> Postgres:
        postgres = Postgres(self.workdir)
        self.callback(_stop_postgres_quietly, postgres)
        postgres.init()
        self.postgres = postgres
        return postgres

    def start_redis(self) -> Redis:
        redis = Redis(self.workdir)
        self.callback(redis.stop)
        redis.start()
        return redis

    def start_localstripe(self) -> LocalStripe:
        local = LocalStripe(self.workdir)
        self.callback(local.stop)
        local.start()
        return local

    def black_hole(self) -> BlackHole:
        hole = BlackHole()
        self.callback(hole.close)
        return hole

    def gunicorn(self, name: str, env: dict[str, str], workers: int = 2) -> Gunicorn:
        server = Gunicorn(name, self.workdir, env, workers)
        self.callback(server.stop)
        server.start()
        return server

    def seeded_database(self, name: str) -> str:
        """A database with the migrations and the demo data (seed_demo), copied from a template made once."""
        assert self.postgres is not None
        if not self.template:
            self.template = "ops_template"
            self.postgres.create_database(self.template)
            env = app_env(DATABASE_URL=self.postgres.url(self.template))
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(env, "seed_demo")
        self.postgres.create_database(name, template=self.template)
        return self.postgres.url(name)


def _stop_postgres_quietly(postgres: Postgres) -> None:
    if postgres.running():
        with contextlib.suppress(subprocess.CalledProcessError):
            postgres.stop("immediate")


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    say(f"  ({label}: {time.monotonic() - started:.1f} s)")


def main_guard(run: Any) -> None:
    """Run `run()`; exit 1 with the failed expectation printed, 0 when every check held."""
    try:
        run()
    except DrillFailed as exc:
        say(f"FAILED: {exc}")
        sys.exit(1)
