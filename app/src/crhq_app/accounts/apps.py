from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "crhq_app.accounts"
    label = "accounts"
    verbose_name = "CRHQ accounts"
