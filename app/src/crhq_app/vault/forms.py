from django import forms

from .models import NAME_HELP


class CredentialForm(forms.Form):
    name = forms.SlugField(max_length=100, help_text=NAME_HELP)
    description = forms.CharField(max_length=500, required=False)
    value = forms.CharField(max_length=65536, strip=False,
                            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                            help_text="Stored encrypted; never shown again, only its last 4 characters.")


class CredentialUpdateForm(forms.Form):
    description = forms.CharField(max_length=500, required=False)
    value = forms.CharField(max_length=65536, strip=False, required=False, label="New value",
                            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                            help_text="Leave empty to keep the current value. A new value makes a new version.")
