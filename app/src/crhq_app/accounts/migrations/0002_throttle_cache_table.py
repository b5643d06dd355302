"""The database cache table of the login throttle (settings.CACHES["throttle"]).

Created here so that `crhq-app migrate` is the only schema step of a deployment.
"""

from django.core.management import call_command
from django.db import migrations

TABLE = "crhq_throttle"


def create_table(apps, schema_editor):
    # createcachetable creates every database cache table of settings.CACHES that is missing
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS %s" % schema_editor.quote_name(TABLE))


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_table, drop_table),
    ]
