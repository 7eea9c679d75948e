"""The network side of a delivery: which URLs may be called (docs/webhooks.md, "Addresses"), the signature, and
one POST to the very address that was checked, so that a name re-resolved in between (DNS rebinding) cannot send
the request elsewhere."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.errors import BadRequest

CONNECT_TIMEOUT = 5.0  # seconds
READ_TIMEOUT = 10.0
RESPONSE_BYTES = 2048  # at most this much of the answer is read


class AddressRefused(BadRequest):
    code = "webhook_url_refused"


@dataclass(frozen=True)
class Target:
    scheme: str
    hostname: str  # as written in the URL (the TLS name and the Host header)
    port: int
    path: str  # path and query
    address: str  # the checked IP address the connection goes to


def _refuse(code: str, message: object) -> AddressRefused:
    return AddressRefused(message, code=code)


def forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private (RFC 1918, ULA), link-local (the cloud metadata address 169.254.169.254), multicast,
    unspecified, reserved, shared (CGNAT) or any other address that is not globally routable."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return forbidden(address.ipv4_mapped)
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or not address.is_global
    )


def check_url(url: str) -> Target:
    """Parse `url`, resolve its host and refuse it unless every address is public (400 `webhook_url_refused`
    family: `webhook_url_invalid`, `webhook_url_not_https`, `webhook_url_unresolvable`,
    `webhook_url_private_address`). Answers the address to connect to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("webhook_url_invalid", _("The URL cannot be read.")) from None
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise _refuse("webhook_url_not_https", _("A webhook URL must start with https://."))
    if not parts.hostname or parts.username is not None or parts.password is not None or parts.fragment:
        raise _refuse("webhook_url_invalid", _("A webhook URL names a host, and no user, password or #fragment."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _refuse("webhook_url_unresolvable", _("The URL's host name does not resolve.")) from None
    addresses = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]
        try:
            addresses.append(ipaddress.ip_address(text))
        except ValueError:
            continue
    if not addresses:
        raise _refuse("webhook_url_unresolvable", _("The URL's host name does not resolve."))
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES and any(forbidden(address) for address in addresses):
        raise _refuse(
            "webhook_url_private_address",
            _("The URL's host is or resolves to a private, loopback, link-local or reserved address."),
        )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, str(addresses[0]))


def signature_header(secrets: list[str], body: bytes, timestamp: int | None = None) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, one v1 per secret still signing."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + body
    return ",".join([f"t={t}", *(f"v1={hmac.new(s.encode(), signed, hashlib.sha256).hexdigest()}" for s in secrets)])


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    latency_ms: int
    excerpt: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(target: Target, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to the checked address, with the URL's host name for TLS (SNI and certificate check) and the
    Host header. No redirect followed, no retry here (the job retries), a timeout, a bounded read."""
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            host=target.address,
            port=target.port,
            server_hostname=target.hostname,
            assert_hostname=target.hostname,
            cert_reqs="CERT_REQUIRED",
            timeout=timeout,
            retries=False,
            maxsize=1,
        )
    else:
        pool = urllib3.HTTPConnectionPool(host=target.address, port=target.port, timeout=timeout, retries=False)
    default_port = 443 if target.scheme == "https" else 80
    host = target.hostname if ":" not in target.hostname else f"[{target.hostname}]"
    host_header = host if target.port == default_port else f"{host}:{target.port}"
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            content = response.read(RESPONSE_BYTES, decode_content=False)
        finally:
            response.release_conn()
            response.close()
        latency = int((time.monotonic() - started) * 1000)
        excerpt = content.decode("utf-8", errors="replace")[:500]
        return Outcome(response.status, "", latency, excerpt)
    except Exception as error:  # refused, reset, timed out, TLS: a failed attempt
        latency = int((time.monotonic() - started) * 1000)
        return Outcome(None, f"{type(error).__name__}: {error}"[:200], latency, "")
    finally:
        pool.close()
