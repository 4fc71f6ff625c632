from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignerConfig(AppConfig):
    name = "signer"
    verbose_name = _("Signer")

    def ready(self) -> None:
        from signer import checks, refusals, signals  # noqa: F401 - system checks, refusal audit, cache invalidation
