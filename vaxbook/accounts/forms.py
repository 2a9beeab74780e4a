from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class StaffLoginForm(AuthenticationForm):
    """The staff sign-in: Django's form, with a message of its own for each field left empty."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = _("Enter your username.")
        self.fields["password"].error_messages["required"] = _("Enter your password.")


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("Mobile phone number"), max_length=40)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code from the SMS"), max_length=12)
