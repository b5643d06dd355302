from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _forget_saved_user(sender, instance, **kwargs):  # pylint: disable=unused-argument
    from crhq_app.accounts.backends import forget_user  # pylint: disable=import-outside-toplevel
    forget_user(instance.pk)


class AccountsConfig(AppConfig):
    name = "crhq_app.accounts"
    label = "accounts"
    verbose_name = "CRHQ accounts"

    def ready(self):
        # a saved or deleted user leaves the shared cache (crhq_app.accounts.backends)
        user_model = self.get_model("User")
        post_save.connect(_forget_saved_user, sender=user_model, dispatch_uid="crhq-forget-saved-user")
        post_delete.connect(_forget_saved_user, sender=user_model, dispatch_uid="crhq-forget-deleted-user")
