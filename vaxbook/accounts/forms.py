from django import forms
from django.utils.translation import gettext_lazy as _


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("Mobile phone number"), max_length=40)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code from the SMS"), max_length=12)
