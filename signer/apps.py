from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignerConfig(AppConfig):
    name = "signer"
    verbose_name = _("Signer")

    def ready(self) -> None:
        from signer import checks, signals  # noqa: F401 - registers the system checks and the cache invalidation
