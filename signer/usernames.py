"""User names the portal reserves: `anonymous` is what `${username}` renders as for anonymous callers (when
SIGNER_ANONYMOUS_POLICY is set), so a real user of that name would share their folder, their cache and their name in
the cloud's logs. Refused in every form (a validator on the user name field) and at every save (a signal), whatever
the case: COS keys are case-sensitive, people reading logs are not."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from signer.models import ANONYMOUS_USERNAME

RESERVED = frozenset({ANONYMOUS_USERNAME})


def validate_not_reserved(value: str) -> None:
    if value.strip().lower() in RESERVED:
        raise ValidationError(
            _("%(value)s is reserved: it is what anonymous callers are named."),
            code="reserved",
            params={"value": value},
        )


User = get_user_model()
_field = User._meta.get_field(User.USERNAME_FIELD)
if isinstance(_field, Field) and validate_not_reserved not in _field.validators:
    _field.validators.append(validate_not_reserved)


@receiver(pre_save, sender=User, dispatch_uid="signer-reserved-username")
def _refuse_reserved(sender: Any, instance: Any, **kwargs: Any) -> None:
    validate_not_reserved(instance.get_username())
