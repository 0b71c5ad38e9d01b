"""Gunicorn settings, read automatically by `gunicorn project.wsgi` from this directory.

Threads keep connections alive (Twilio and proxies reuse them) and cover the few
milliseconds each webhook waits on PostgreSQL and Redis. Override with the environment:
WEB_CONCURRENCY (processes), GUNICORN_THREADS, PORT or GUNICORN_BIND.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = 30
timeout = 30
graceful_timeout = 30
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# Behind a TLS-terminating proxy: trust its X-Forwarded-* headers (signatures use
# PUBLIC_BASE_URL regardless).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The access log (when GUNICORN_ACCESS_LOG is set) shows the path without its query string
# and no referrer: an admin search (?q=+32470...) would otherwise print a number in clear.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'
