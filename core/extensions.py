"""Functions an earlier app calls but a later app provides, named in settings (like AUTH_USER_MODEL).

The producers app shows badges and compliance that the compliance app (after it in the layer order)
computes: `PRODUCER_STANDING` names that function, so no app imports a later one. Likewise
`PRODUCERS_HOLDING` (the directory's claim filter) and `SITE_ADDED` (a new site's compliance verdict is
stored by the compliance app when the producers app creates the site). Trade answers for listings and
provenance through `PRODUCER_COUNTERPARTIES`, `LOTS_UNDER_CONTRACT`, `LOT_BUYER` and `FORWARD_COMMITMENTS`, and
for compliance through `EVIDENCE_WITHDRAWN` (an item behind a contract was revoked or superseded). The search read
model of listings is kept by the apps below it through `CATALOGUE_CHANGED` and `PRICE_TABLE_CHANGED`, and the
producer directory reads it through `PRODUCER_OFFERS` and `PRODUCERS_OFFERING`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def provider(setting: str) -> Callable[..., Any]:
    return import_string(getattr(settings, setting))
