from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "crhq_app.vault"
    label = "vault"
    verbose_name = "CRHQ credential store and audit log"
