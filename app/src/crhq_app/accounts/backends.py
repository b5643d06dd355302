"""The authentication backend: Django's ModelBackend, with the logged-in user read through the shared cache.

Every authenticated request loads its user by the id in the session. Where the sessions are read through the
workers' shared file cache (``SESSION_CACHE_ALIAS``, set with ``CRHQ_SESSION_CACHE_DIR``), the user row is read
through the same cache, so a logged-in page costs no query at all. PostgreSQL stays the store of record, and
Django still checks the session against the user it gets (``get_session_auth_hash``: the password hash and
``session_epoch``), so what the cache must never do is hand out a user older than the row:

- every change the app makes to a user removes the cache entry, through ``forget_user``: at once, and again
  when the transaction that made the change commits (a request running in between could read the old row,
  before the commit, and put it back);
- ``User.save()`` and ``delete()`` do so through signals (``crhq_app.accounts.apps``); a ``QuerySet.update()`` of
  users calls ``forget_user`` itself (a password, ``session_epoch``, the backup-code count);
- a change made outside the service (the ``ensure_user`` command as root, which has no access to the cache,
  or SQL) is seen within ``CRHQ_USER_CACHE_SECONDS``, when the entry expires; the cache is emptied whenever the
  service stops.

Without the shared cache (tests of other settings, commands), this is ModelBackend as it is.
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.db import transaction

KEY = "crhq-user:%s"


def _cache():
    alias = getattr(settings, "SESSION_CACHE_ALIAS", None)
    if alias and alias in settings.CACHES and getattr(settings, "CRHQ_USER_CACHE_SECONDS", 0) > 0:
        return caches[alias]
    return None


def forget_user(pk):
    """Remove the user's cache entry now and when the current transaction commits (at once in autocommit)."""
    cache = _cache()
    if cache is None or pk is None:
        return
    key = KEY % pk
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


class CachedUserBackend(ModelBackend):
    """ModelBackend whose ``get_user`` reads through the shared cache; authentication itself is unchanged."""

    def get_user(self, user_id):
        cache = _cache()
        if cache is None:
            return super().get_user(user_id)
        key = KEY % user_id
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)  # None for an unknown or inactive user: never cached
            if user is not None:
                cache.set(key, user, settings.CRHQ_USER_CACHE_SECONDS)
            return user
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        cache = _cache()
        if cache is None:
            return await super().aget_user(user_id)
        key = KEY % user_id
        user = await cache.aget(key)
        if user is None:
            user = await super().aget_user(user_id)
            if user is not None:
                await cache.aset(key, user, settings.CRHQ_USER_CACHE_SECONDS)
            return user
        return user if self.user_can_authenticate(user) else None
