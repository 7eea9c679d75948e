from __future__ import annotations

from tests.localstripe_server import localstripe, localstripe_webhooks, stripe_on_localstripe  # noqa: F401
