"""Session engine: sessions live in PostgreSQL; every gunicorn worker reads them through one shared cache.

settings.SESSION_ENGINE names this module when CRHQ_SESSION_CACHE_DIR is set (the role sets it in the
service's unit to a directory in RAM that only the service's user can open). The cache is
settings.CACHES["sessions"], Django's file cache in that directory: every worker of the service sees the
same entries, so a session one worker ends is gone for all of them. A request then reads its session from
a file instead of querying the database; the database stays the store of record, and a session missing
there is never served from the cache for long (see below).

Django's cached_db engine, with the order of two steps changed, so that no interleaving of requests can
bring back a session that a logout (or a key rotation at login) has deleted:

- A read that misses the cache reads the database and does **not** fill the cache. Django's engine fills
  it; a read that found the row just before a logout deleted it (row, then cache entry) would put the
  session back into the cache after the logout. Here only a save fills the cache.
- A save of an existing session writes the cache first and the database second, and takes the entry out
  of the cache again when the database write fails. A deleted row makes that write fail (UpdateError), so
  a save racing a logout leaves no entry behind; a save that succeeded before the logout's delete has its
  entry removed by that delete. A new session (must_create) is written to the database first: its key is
  only known to be unused once the insert succeeded.

So an ended session can be answered from the cache only by a request that was running while it ended.
The cache adds no lifetime of its own: an entry expires with the session (the idle time at its last
save), and the session middleware checks the idle and absolute limits on what it reads either way.
"""

import logging

from asgiref.sync import sync_to_async
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore

log = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    """cached_db, filled by saves only; see the module's docstring."""

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # pylint: disable=broad-exception-caught  # a damaged entry: ask the database
            data = None
        if data is not None:
            return data
        return DBStore.load(self)

    def save(self, must_create=False):
        if self.session_key is None:
            self.create()
            return
        if must_create:
            DBStore.save(self, must_create=True)  # raises CreateError for a key in use: the cache is not touched
            self._cache_set()
            return
        key = self.cache_key
        self._cache_set()
        try:
            DBStore.save(self, must_create=False)
        except BaseException:
            self._cache.delete(key)
            raise

    def _cache_set(self):
        try:
            self._cache.set(self.cache_key, self._get_session(), self.get_expiry_age())
        except Exception:  # pylint: disable=broad-exception-caught  # the next read asks the database
            log.exception("could not write the session to the cache")
            try:
                self._cache.delete(self.cache_key)  # an older copy must not be read instead
            except Exception:  # pylint: disable=broad-exception-caught
                log.exception("could not remove the session from the cache")

    # The app is served over WSGI; the async variants follow the same order through the sync code.
    async def aload(self):
        return await sync_to_async(self.load)()

    async def asave(self, must_create=False):
        await sync_to_async(self.save)(must_create)
