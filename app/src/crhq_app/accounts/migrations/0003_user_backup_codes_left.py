"""User.backup_codes_left: the number of the user's unused backup codes, counted once here."""

from django.db import migrations, models
from django.db.models import Count, Q


def count_codes(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    users = User.objects.using(schema_editor.connection.alias).annotate(
        left=Count("backup_codes", filter=Q(backup_codes__used_at__isnull=True)))
    for user in users.filter(left__gt=0):
        User.objects.using(schema_editor.connection.alias).filter(pk=user.pk).update(backup_codes_left=user.left)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_throttle_cache_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="backup_codes_left",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(count_codes, migrations.RunPython.noop),
    ]
