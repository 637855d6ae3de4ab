"""Settings for bench/ingest.py's server only: the project's, plus the bare comparison endpoint."""
from leadhub.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
