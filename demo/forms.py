from __future__ import annotations

from django import forms

from qcloud.buckets import BucketNameError, validate_bucket_name


class CreateBucketForm(forms.Form):
    name = forms.CharField(
        label="Bucket name",
        max_length=200,
        strip=True,
        help_text="Lowercase letters, digits and '-', 1-50 characters, not starting or ending with '-'. "
        "The account's APPID is appended for you.",
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        try:
            validate_bucket_name(name)
        except BucketNameError as exc:
            raise forms.ValidationError(str(exc)[:1].upper() + str(exc)[1:] + ".", code="invalid_bucket_name") from exc
        return name
