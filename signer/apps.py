from django.apps import AppConfig


class SignerConfig(AppConfig):
    name = "signer"
    verbose_name = "Signer"

    def ready(self) -> None:
        # The system checks, the cache invalidation, the kill switch's triggers and the reserved user name.
        from signer import checks, revocation_signals, signals, usernames  # noqa: F401
