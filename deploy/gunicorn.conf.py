"""gunicorn settings: its own log lines (boot, worker exits) go through leadhub's one logging setup,
so they share the format (text or LOG_FORMAT=json) of the app's lines; the access line is the
app's (leadhub.request, with the request id), so gunicorn writes none."""
import os

from leadhub.logging import logging_config

logconfig_dict = logging_config(level=os.environ.get("LOG_LEVEL", "INFO"), fmt=os.environ.get("LOG_FORMAT", "text"))
accesslog = None
