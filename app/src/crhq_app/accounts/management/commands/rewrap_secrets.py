"""crhq-app rewrap_secrets: move every stored TOTP secret to the keyring's primary key.

Run it after a key rotation (crhq.platform.secret with rotate: true) and a restart of the app;
only then can an older key leave the keyring. Prints one JSON line with the counts.
"""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crhq_app import crypto
from crhq_app.accounts.models import totp_context, totp_pending_context


class Command(BaseCommand):
    help = "Re-encrypt stored TOTP secrets under the keyring's primary key. Prints one JSON line."

    def handle(self, *args, **options):
        checked = rewrapped = 0
        fields = (("totp_secret", totp_context), ("totp_pending", totp_pending_context))
        with transaction.atomic():
            for user in get_user_model().objects.select_for_update().exclude(totp_secret="", totp_pending=""):
                update = []
                for field, context in fields:
                    value = getattr(user, field)
                    if not value:
                        continue
                    checked += 1
                    try:
                        new = crypto.rewrap(value, context(user.pk))
                    except crypto.CredentialError as exc:
                        raise CommandError("user %d %s: %s" % (user.pk, field, exc))
                    if new != value:
                        setattr(user, field, new)
                        update.append(field)
                if update:
                    rewrapped += len(update)
                    user.save(update_fields=update)
        self.stdout.write(json.dumps({"changed": rewrapped > 0, "checked": checked, "rewrapped": rewrapped}, sort_keys=True))
