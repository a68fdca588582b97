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
# gunicorn refuses oversized headers before the app sees them, with an HTML page (no hook can
# change it). Its limits sit above the app's own (shopify_app/header_limits.py: 100 headers,
# 8190 bytes per header line, gunicorn's defaults), so a client over those gets the app's JSON
# 431 under /api; gunicorn's HTML is left for what only an attacker sends. The request line
# keeps gunicorn's 4094-byte limit (an over-long URL: its HTML 414).
limit_request_fields = 200
limit_request_field_size = 32768
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
