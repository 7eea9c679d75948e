"""localstripe, a stateful fake Stripe from PyPI, run on loopback for the tests (a pytest plugin).

Fixtures:
- `localstripe` (session): a fresh localstripe in a subprocess on 127.0.0.1 and a free port; a `LocalStripe`
  with its `url` and helpers to act as the buyer's browser (`pay`) and to configure webhooks.
- `stripe_on_localstripe`: the settings pointing the gateway at it (secret key, API base, webhook secret).
- `localstripe_webhooks`: localstripe delivers its signed events to the `live_server`'s webhook endpoint
  during the test, and stops at its end.

The subprocess starts empty (it never reads localstripe's pickled state) and never writes that state to
disk: localstripe keeps it in one fixed file, `/tmp/localstripe.pickle`, that every localstripe on the
machine would share. Run as `python -m tests.localstripe_server` it serves and prints its port.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "sk_test_localstripe"
WEBHOOK_SECRET = "whsec_test_localstripe"
WEBHOOK_PATH = "/api/v1/payments/stripe/webhook/"
STARTUP_TIMEOUT_SECONDS = 20


def serve() -> None:
    import warnings

    # localstripe registers plain functions as aiohttp handlers, which aiohttp deprecates (this process only).
    warnings.simplefilter("ignore", DeprecationWarning)
    from aiohttp import web
    from localstripe import resources, server

    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(server.app, sock=sock, print=None, access_log=None)


@dataclass
class LocalStripe:
    url: str

    def request(self, method: str, path: str, data: dict[str, Any] | None = None, key: str = SECRET_KEY) -> Any:
        """One call to localstripe's HTTP API, the way a browser or Stripe's dashboard would make it."""
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text.strip() else None

    def pay(self, intent_id: str, payment_method: str = "pm_card_visa") -> dict[str, Any]:
        """Pay an intent with a test card: what the buyer's browser does with Stripe.js and the client secret.

        localstripe differs from Stripe here: a confirm that carries `payment_method` (as Stripe.js sends it)
        answers 500 "Not implemented", and a confirm with the publishable key answers 401. So the card is
        attached first, then the intent confirmed, both with the secret key. A declined card answers 402:
        its error body is returned (with `status_code`), not raised.
        """
        self.request("POST", f"/v1/payment_intents/{intent_id}", {"payment_method": payment_method})
        try:
            return self.request("POST", f"/v1/payment_intents/{intent_id}/confirm", {})
        except urllib.error.HTTPError as exc:
            with exc:
                return {"status_code": exc.code, **json.loads(exc.read().decode())}

    def register_webhook(self, url: str, *, secret: str = WEBHOOK_SECRET, events: list[str] | None = None) -> str:
        """Have localstripe send its events to `url`, signed with `secret`; returns the webhook's id."""
        webhook_id = f"wh_{uuid.uuid4().hex[:12]}"
        data: dict[str, Any] = {"url": url, "secret": secret}
        if events is not None:
            data["events"] = events
        self.request("POST", f"/_config/webhooks/{webhook_id}", data)
        return webhook_id

    def disable_webhook(self, webhook_id: str) -> None:
        """localstripe cannot delete a webhook: subscribe it to no event instead."""
        self.request(
            "POST", f"/_config/webhooks/{webhook_id}", {"url": "http://127.0.0.1:9/", "secret": "x", "events": []}
        )

    def reset(self) -> None:
        """Forget every object (webhooks stay)."""
        self.request("DELETE", "/_config/data")


def _wait_until_answering(local: LocalStripe, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode}")
        try:
            local.request("GET", "/v1/payment_intents")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("localstripe did not answer in time")


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    folder = tmp_path_factory.mktemp("localstripe")
    env = {**os.environ, "TMPDIR": str(folder)}
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.localstripe_server"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log
        )
        try:
            assert process.stdout is not None
            port = int(process.stdout.readline().decode().strip() or 0)
            if not port:
                raise RuntimeError(f"localstripe did not start: see {folder / 'server.log'}")
            local = LocalStripe(url=f"http://127.0.0.1:{port}")
            _wait_until_answering(local, process)
            yield local
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


@pytest.fixture
def stripe_on_localstripe(settings: Any, localstripe: LocalStripe) -> LocalStripe:
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return localstripe


@pytest.fixture
def localstripe_webhooks(stripe_on_localstripe: LocalStripe, live_server: Any) -> Iterator[LocalStripe]:
    """localstripe delivers its events (about a second after they happen, once) to the live server."""
    webhook_id = stripe_on_localstripe.register_webhook(live_server.url + WEBHOOK_PATH)
    yield stripe_on_localstripe
    stripe_on_localstripe.disable_webhook(webhook_id)


if __name__ == "__main__":
    serve()
