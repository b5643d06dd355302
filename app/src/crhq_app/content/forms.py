from django import forms


class DocumentForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 16}))
