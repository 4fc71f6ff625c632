"""Settings for the benchmarks: the portal's own settings, plus bench-only URLs (bench/urls.py).

Selected with DJANGO_SETTINGS_MODULE=bench.settings by bench/harness.py; production-style values (DEBUG off,
PostgreSQL, Redis) come from the environment like in any deployment. Nothing here changes how /sign works.
"""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
