"""The session engine (crhq_app.accounts.session_store): PostgreSQL the store of record, one file cache shared by
every worker, and no order of requests in which an ended session comes back from the cache."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache

from crhq_testing import SESSION_COOKIE, log_in, make_client, session_key
from crhq_app.accounts import session_store

pytestmark = pytest.mark.django_db


def _worker_cache():
    """The cache as another gunicorn worker opens it: its own object on the same directory."""
    return FileBasedCache(settings.CACHES["sessions"]["LOCATION"], settings.CACHES["sessions"].get("OPTIONS", {}))


def _store(key=None, cache=None):
    store = session_store.SessionStore(key)
    if cache is not None:
        store._cache = cache  # pylint: disable=protected-access
    return store


def _cached(key):
    return _worker_cache().get(cached_db.KEY_PREFIX + key)


def test_the_app_reads_sessions_through_the_shared_cache():
    assert settings.SESSION_ENGINE == "crhq_app.accounts.session_store"
    assert settings.CACHES[settings.SESSION_CACHE_ALIAS]["BACKEND"].endswith("FileBasedCache")


def test_a_session_ended_by_one_worker_is_refused_by_every_other(user):
    client = make_client()
    log_in(client, user)
    key = session_key(client)
    other = _store(key, _worker_cache())
    assert other.load()["_auth_user_id"] == str(user.pk)  # from the cache another worker wrote
    assert client.post("/logout/")["Location"] == "/login/"
    assert _cached(key) is None and not Session.objects.filter(session_key=key).exists()
    assert _store(key, _worker_cache()).load() == {}
    replay = make_client()
    replay.cookies[SESSION_COOKIE] = key
    assert replay.get("/").status_code == 302


def test_a_read_that_misses_the_cache_does_not_fill_it():
    store = _store()
    store["probe"] = 1
    store.save(must_create=True)
    key = store.session_key
    caches["sessions"].delete(cached_db.KEY_PREFIX + key)  # as after a restart: the cache is in RAM
    assert _store(key).load() == {"probe": 1}  # from the database
    assert _cached(key) is None  # only a save fills the cache
    again = _store(key)
    again["probe"] = 2
    again.save()
    assert _cached(key) == {"probe": 2}


def test_a_save_racing_a_logout_leaves_nothing_in_the_cache():
    store = _store()
    store["probe"] = 1
    store.save(must_create=True)
    key = store.session_key
    worker = _store(key)
    assert worker["probe"] == 1  # a request that read the session just before...
    _store(key, _worker_cache()).delete()  # ...another worker logged it out
    worker["probe"] = 2
    with pytest.raises(UpdateError):  # Django answers such a request with 400 (SessionInterrupted)
        worker.save()
    assert _cached(key) is None
    assert _store(key).load() == {}


def test_a_new_session_never_writes_over_the_cache_entry_of_a_key_in_use():
    first = _store()
    first["owner"] = "first"
    first.save(must_create=True)
    key = first.session_key
    second = _store(key)
    second["owner"] = "second"
    with pytest.raises(CreateError):
        second.save(must_create=True)
    assert _cached(key) == {"owner": "first"}


def test_an_entry_that_cannot_be_written_is_not_read_stale(monkeypatch):
    store = _store()
    store["probe"] = 1
    store.save(must_create=True)
    key = store.session_key

    def refuse(*args, **kwargs):
        raise OSError("no space left on device")

    later = _store(key)
    later["probe"] = 2
    monkeypatch.setattr(later._cache, "set", refuse)  # pylint: disable=protected-access
    later.save()  # the database has the new data...
    assert _cached(key) is None  # ...and the older copy is gone from the cache
    assert _store(key).load() == {"probe": 2}


def test_a_logout_between_a_save_and_its_return_leaves_nothing_in_the_cache(monkeypatch):
    """Django's cached_db writes the cache after the database: a logout between the two left the session in it."""
    store = _store()
    store["probe"] = 1
    store.save(must_create=True)
    key = store.session_key
    database_save = session_store.DBStore.save

    def save_then_logout_elsewhere(self, must_create=False):
        database_save(self, must_create)
        _store(key, _worker_cache()).delete()

    worker = _store(key)
    assert worker["probe"] == 1
    worker["probe"] = 2
    monkeypatch.setattr(session_store.DBStore, "save", save_then_logout_elsewhere)
    worker.save()
    assert _cached(key) is None
    assert _store(key, _worker_cache()).load() == {}
