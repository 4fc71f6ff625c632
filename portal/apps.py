from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("COS Sign Portal")


class KnoxConfig(AppConfig):
    """django-rest-knox under a translated name: the admin index lists its tokens as "API tokens" in the reader's
    language (knox names them "Auth tokens", in English only)."""

    name = "knox"
    label = "knox"
    verbose_name = _("API access")

    def ready(self) -> None:
        # _meta, not the model's Meta: migrations read Meta's original options, so this changes no migration state.
        model = self.get_model("AuthToken")
        model._meta.verbose_name = _("API token")
        model._meta.verbose_name_plural = _("API tokens")
