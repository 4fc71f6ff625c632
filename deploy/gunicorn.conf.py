"""gunicorn's settings for deploy/entrypoint.sh; GUNICORN_CMD_ARGS (e.g. "--workers 4") and flags override them.

Threads carry the concurrency: a request mostly waits on Redis, the database or STS.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"  # in a container, behind its published port
workers = 2
threads = 4
worker_class = "gthread"
# Clients (and a proxy) that reuse connections must not race gunicorn's close of an idle one (its default is 2 s).
keepalive = 30
accesslog = "-"
