"""ASGI entry point: `crhq_app.asgi:application`, served by gunicorn with uvicorn's worker (the role's app_asgi).

The views are synchronous: Django runs them in a worker thread, and keeps no database connection from one
request to the next under ASGI (settings.SERVED_BY_ASGI), as Django's documentation advises.
"""

import os

from django.core.asgi import get_asgi_application

os.environ["CRHQ_SERVED_BY_ASGI"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crhq_app.settings")

application = get_asgi_application()
