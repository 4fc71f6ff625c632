from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qcloud.buckets import MAX_NAME_LENGTH, BucketNameError, validate_bucket_name

# qcloud's rules in the reader's language (qcloud itself stays Django-free and speaks English).
NAME_RULES = {
    "empty": _("Enter a bucket name."),
    "too_long": _("A bucket name is at most %(limit)d characters; this one has %(length)d."),
    "character": _(
        "A bucket name may contain only lowercase letters a-z, digits 0-9 and '-': "
        "'%(character)s' at position %(position)d is not allowed."
    ),
    "leading_dash": _("A bucket name must not start with '-'."),
    "trailing_dash": _("A bucket name must not end with '-'."),
}


class CreateBucketForm(forms.Form):
    name = forms.CharField(
        label=_("Bucket name"),
        max_length=200,
        strip=True,
        help_text=_(
            "Lowercase letters, digits and '-', 1-50 characters, not starting or ending with '-'. "
            "The account's APPID is appended for you."
        ),
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        try:
            validate_bucket_name(name)
        except BucketNameError as exc:
            rule = NAME_RULES.get(exc.rule)
            message = str(rule) % {"limit": MAX_NAME_LENGTH, **exc.details} if rule else str(exc)
            raise forms.ValidationError(message, code="invalid_bucket_name") from exc
        return name
