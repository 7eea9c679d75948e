"""Token authentication: knox's hashed, expiring tokens, and when each token was last used.

`TokenAuthentication` is knox's, with two additions:

- the token's `TokenDevice` row is read in the same query as the token and its user (no extra query per request);
- `last_used_at` is written at most once a `LAST_USED_RESOLUTION` per token: a request that finds it fresher
  writes nothing; a staler one writes it with one `UPDATE` of that row (autocommit: nothing waits for it, and
  two requests at once write the same minute twice at worst).

A token that has no `TokenDevice` row (issued by a server still running the previous release during a deploy, or
minted by hand in a shell) gets one when it is first used, named from that request's User-Agent.
"""

from __future__ import annotations

import binascii
import datetime as dt
from hmac import compare_digest

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions
from rest_framework.request import Request

from accounts.devices import device_name_from_user_agent
from accounts.models import TokenDevice, User
from core import clock

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def device_of(token: AuthToken) -> TokenDevice | None:
    """The token's device row, when it has one (read with the token by `TokenAuthentication`)."""
    try:
        return token.device  # type: ignore[attr-defined,no-any-return]
    except TokenDevice.DoesNotExist:
        return None


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's token authentication, which also records when a token was last used (see the module)."""

    def authenticate(self, request: Request) -> tuple[User, AuthToken] | None:
        result = super().authenticate(request)
        if result is not None:
            self.record_use(result[1], user_agent=request.META.get("HTTP_USER_AGENT", ""))
        return result  # type: ignore[no-any-return]

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        """knox's lookup (`knox.auth.TokenAuthentication.authenticate_credentials`, knox 5.1), reading the device
        row in the same query; a header that is not UTF-8 is an invalid token, not a server error.
        `AUTO_REFRESH` is off in this project (a client refreshes with `auth/tokens/refresh/`), so its branch is
        left out."""
        message = _("Invalid token.")
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(message) from None
        candidates = AuthToken.objects.filter(token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related(
            "user", "device"
        )
        for auth_token in candidates:
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(message) from None
            if compare_digest(digest, auth_token.digest):
                return self.validate_user(auth_token)  # type: ignore[no-any-return]
        raise exceptions.AuthenticationFailed(message)

    @staticmethod
    def record_use(token: AuthToken, *, user_agent: str) -> None:
        now = clock.now()
        device = device_of(token)
        if device is None:
            TokenDevice.objects.bulk_create(
                [
                    TokenDevice(
                        token=token,
                        device_name=device_name_from_user_agent(user_agent),
                        created_at=token.created,
                        last_used_at=now,
                    )
                ],
                ignore_conflicts=True,  # two first requests at once: one row
            )
            token.device = TokenDevice.objects.get(token=token)  # type: ignore[attr-defined]
            return
        if device.last_used_at is not None and now - device.last_used_at < LAST_USED_RESOLUTION:
            return
        TokenDevice.objects.filter(pk=device.pk).update(last_used_at=now)
        device.last_used_at = now


class TokenScheme(KnoxTokenScheme):
    """The schema names this class's security scheme as knox's (drf-spectacular matches the exact class)."""

    target_class = "accounts.auth.TokenAuthentication"
