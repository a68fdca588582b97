"""gunicorn settings for production: `gunicorn app:app` picks this file up from the working directory."""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Sync workers: requests are short and database-bound; 2 per core plus one is gunicorn's advice.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # token exchange waits for Shopify, so > 20 s
graceful_timeout = 20
keepalive = 5
# Workers are replaced now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
# The app writes its own JSON access log line (with request id and shop); gunicorn's would repeat it.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
