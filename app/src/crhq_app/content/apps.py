from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "crhq_app.content"
    label = "content"
    verbose_name = "CRHQ workspace documents with version history"

    def ready(self):
        from . import models  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
