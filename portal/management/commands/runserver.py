"""`runserver` that, in local mode, also starts localcloud when nothing listens at LOCALCLOUD_URL.

The emulator runs as a child process of the outer (autoreloading) runserver process only, so code reloads do not
restart it and its data stays put; a supervisor thread restarts it when it dies, and it is terminated when runserver
exits. In tencent mode this is plain runserver.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as StaticfilesRunserverCommand
from django.core.management.base import CommandError

from portal import localcloud_process


class Command(StaticfilesRunserverCommand):
    help = (
        "Starts a lightweight web server for development and, in local mode (CLOUD_BACKEND=local), localcloud at "
        "LOCALCLOUD_URL when nothing listens there yet."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # RUN_MAIN is set in the autoreloader's child: only the outer process owns localcloud.
        if settings.LOCAL_MODE and os.environ.get("RUN_MAIN") != "true":
            try:
                process = localcloud_process.start(self.stdout)
            except localcloud_process.LocalcloudDidNotStart as exc:
                raise CommandError(str(exc)) from None
            if process is not None:
                supervisor = localcloud_process.Supervisor(process)
                supervisor.start()
                atexit.register(supervisor.stop)
                if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                    # Turn SIGTERM into a normal exit so atexit runs (the autoreloader installs the same handler).
                    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        super().handle(*args, **options)
