"""Settings for the benchmark: the application's own settings, plus the `/bench/minimal/` yardstick.

Only two things differ from production settings, both so that wrk measures the listing search itself:
- ROOT_URLCONF adds `/bench/minimal/` to the real URLs;
- the anonymous and user throttles stay in place (their cache is read and written on every request, as in
  production) but at a rate per second that wrk cannot reach; at the default 120/min almost every request
  of the benchmark would be a 429. A per-second window also keeps DRF's throttle history short.
"""

from marketplace.settings import *  # noqa: F403
from marketplace.settings import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "anon": "1000000/s",
        "user": "1000000/s",
    },
}
