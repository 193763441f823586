"""Settings for bench/api_reads.py's server: the product's, with the benchmark's URLs.

Only ROOT_URLCONF differs (bench.api_bench_urls adds the minimal view to compare
with), so both sides of every ratio run with the same middleware, authentication,
permissions and throttles. BENCH_NO_THROTTLE=1 drops the throttles, to show what
they cost.
"""

import os

from prepgraph.settings import *  # noqa: F403
from prepgraph.settings import REST_FRAMEWORK

ROOT_URLCONF = "bench.api_bench_urls"

if os.environ.get("BENCH_NO_THROTTLE") == "1":
    REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
