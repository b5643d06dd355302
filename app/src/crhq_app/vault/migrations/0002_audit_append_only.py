"""The audit log is append-only: the app's runtime database role keeps INSERT and SELECT on it and loses
UPDATE, DELETE and TRUNCATE, and triggers refuse those statements to every role, the owner included."""

from django.db import migrations

from crhq_app.dbguard import insert_only


class Migration(migrations.Migration):
    dependencies = [("vault", "0001_initial")]

    operations = [insert_only("vault_auditevent", "the audit log is append-only")]
