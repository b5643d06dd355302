"""The `crhq-app` command: Django's manage.py for the installed app."""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crhq_app.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # pylint: disable=pointless-statement  # loads and checks the settings
    except ImproperlyConfigured as exc:
        sys.stderr.write("crhq-app: %s\n" % exc)
        sys.exit(2)
    execute_from_command_line(sys.argv if argv is None else argv)


if __name__ == "__main__":
    main()
