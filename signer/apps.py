from django.apps import AppConfig


class SignerConfig(AppConfig):
    name = "signer"
    verbose_name = "Signer"

    def ready(self) -> None:
        from signer import checks, refusals, signals  # noqa: F401 - system checks, refusal audit, cache invalidation
