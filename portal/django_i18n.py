"""Django's own admin strings that its zh-hans catalog (Django 5.2) does not translate yet: the visually hidden
headers of the admin index's tables, which screen readers announce. Named here so makemessages puts them in our
catalog, which Django consults before its own (LOCALE_PATHS); remove one when Django's catalog has it."""

from django.utils.translation import gettext_noop

UNTRANSLATED_BY_DJANGO = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)
