from django.apps import AppConfig


class SignerConfig(AppConfig):
    name = "signer"
    verbose_name = "Signer"

    def ready(self) -> None:
        from signer import checks, signals  # noqa: F401 - registers the system checks and the cache invalidation
