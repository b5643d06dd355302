"""Document versions are immutable: the app's runtime database role may add and read rows of
content_historicaldocument, never change or remove them, and triggers refuse that to every role."""

from django.db import migrations

from crhq_app.dbguard import insert_only


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial")]

    operations = [insert_only("content_historicaldocument", "document versions are immutable")]
