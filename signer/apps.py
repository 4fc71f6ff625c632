from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignerConfig(AppConfig):
    name = "signer"
    verbose_name = _("Signer")

    def ready(self) -> None:
        # The system checks, the refusal audit, the cache invalidation, the kill switch's triggers and the reserved
        # user name.
        from signer import checks, refusals, revocation_signals, signals, usernames  # noqa: F401
