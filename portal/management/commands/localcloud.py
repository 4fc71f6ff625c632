"""`python manage.py localcloud`: the emulator with the portal's settings (LOCALCLOUD_*) as defaults."""

from __future__ import annotations

from typing import Any, TextIO, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from localcloud import cli
from localcloud.config import ConfigError
from portal import localcloud_process


def settings_defaults() -> dict[str, Any]:
    """What localcloud should be for this portal: where LOCALCLOUD_URL points, with the settings' root account."""
    host, port = localcloud_process.address()
    return {
        "host": host,
        "port": port,
        "data_dir": settings.LOCALCLOUD_DATA,
        "secret_id": settings.LOCALCLOUD_SECRET_ID,
        "secret_key": settings.LOCALCLOUD_SECRET_KEY,
        "appid": settings.LOCALCLOUD_APPID,
        "roles_file": getattr(settings, "LOCALCLOUD_ROLES_FILE", None) or None,
    }


class Command(BaseCommand):
    help = (
        "Run localcloud, the offline Tencent Cloud STS + COS emulator, in the foreground. Flags default to the "
        "portal's LOCALCLOUD_* settings (host and port from LOCALCLOUD_URL). See `python -m localcloud --help`."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = cli.config_from_options(options, defaults=settings_defaults())
        except ConfigError as error:
            raise CommandError(str(error)) from None
        try:
            # OutputWrapper is the TextIOBase Django writes command output through; run() only writes lines to it.
            cli.run(config, out=cast(TextIO, self.stdout))
        except OSError as error:
            raise CommandError(
                _("cannot listen on %(host)s:%(port)s: %(error)s")
                % {"host": config.host, "port": config.port, "error": error.strerror}
            ) from None
