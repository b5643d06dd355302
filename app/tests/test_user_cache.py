"""The logged-in user read through the workers' shared cache (crhq_app.accounts.backends): no query for a
logged-in page, and no change the app makes to a user that a cached copy outlives."""

import time

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from crhq_testing import PASSWORD, log_in, make_client
from crhq_app.accounts import backends, twofactor
from crhq_app.accounts.models import User

pytestmark = pytest.mark.django_db


def _cached(user):
    return backends._cache().get(backends.KEY % user.pk)  # pylint: disable=protected-access


def test_a_logged_in_page_costs_no_query_once_the_user_is_cached(user, django_assert_num_queries):
    assert settings.AUTHENTICATION_BACKENDS == ["crhq_app.accounts.backends.CachedUserBackend"]
    client = make_client()
    log_in(client, user)
    assert client.get("/").status_code == 200
    assert _cached(user).pk == user.pk
    with django_assert_num_queries(0):  # the session and the user both from the cache
        assert client.get("/").status_code == 200


def _two_devices(user):
    """A laptop and a phone logged in as the user; the phone's page has put the user in the cache."""
    laptop, phone = make_client(), make_client("198.51.100.7")
    log_in(laptop, user)
    log_in(phone, user)
    assert phone.get("/").status_code == 200 and _cached(user) is not None
    return laptop, phone


def test_a_password_change_in_another_session_ends_this_one_at_once(user):
    """The laptop changes the password (User.save); the phone's session ends at its next request."""
    laptop, phone = _two_devices(user)
    response = laptop.post("/account/password/", {
        "old_password": PASSWORD, "new_password1": "a much better passphrase", "new_password2": "a much better passphrase"})
    assert response.status_code == 200
    assert phone.get("/").status_code == 302


def test_an_update_that_bypasses_save_forgets_the_user_too(user):
    """log out everywhere raises session_epoch with QuerySet.update(): no signal, so the view forgets the user."""
    laptop, phone = _two_devices(user)
    assert laptop.post("/logout/everywhere/").status_code == 302
    assert phone.get("/").status_code == 302


def test_a_deactivated_user_is_refused_at_once(user):
    client = make_client()
    log_in(client, user)
    assert client.get("/").status_code == 200 and _cached(user) is not None
    row = User.objects.get(pk=user.pk)
    row.is_active = False
    row.save(update_fields=["is_active"])
    assert _cached(user) is None
    assert client.get("/").status_code == 302


def test_the_entry_is_removed_again_when_the_transaction_commits(user, django_capture_on_commit_callbacks):
    """A request that reads the row between the change and its commit puts the old row back; the commit removes
    it again."""
    cache = backends._cache()  # pylint: disable=protected-access
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            user.set_password("a much better passphrase")
            user.save()
            stale = get_user_model().objects.get(pk=user.pk)
            stale.password = "the row as another request read it before the commit"
            cache.set(backends.KEY % user.pk, stale, 10)
        assert _cached(user) is not None  # until the commit
    assert _cached(user) is None


def test_a_change_made_outside_the_app_is_seen_when_the_entry_expires(user, settings):
    """The ensure_user command runs as root without the cache; its change shows within CRHQ_USER_CACHE_SECONDS."""
    settings.CRHQ_USER_CACHE_SECONDS = 1
    client = make_client()
    log_in(client, user)
    assert client.get("/").status_code == 200 and _cached(user) is not None
    User.objects.filter(pk=user.pk).update(is_active=False)  # no signal, nobody forgets the user
    assert client.get("/").status_code == 200  # the cached copy, for at most a second
    time.sleep(1.1)
    assert client.get("/").status_code == 302


def test_the_backup_code_count_on_the_page_follows_each_use(user):
    codes = twofactor.regenerate_backup_codes(user)
    client = make_client()
    log_in(client, user)
    assert "backup codes left" not in client.get("/").content.decode()
    for code in codes[:8]:
        assert twofactor.use_backup_code(user, code)
    assert "You have 2 backup codes left." in client.get("/").content.decode()
    twofactor.regenerate_backup_codes(user)
    assert "backup codes left" not in client.get("/").content.decode()


def test_without_the_shared_cache_it_is_django_model_backend(user, settings, django_assert_num_queries):
    del settings.SESSION_CACHE_ALIAS
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client = make_client()
    log_in(client, user)
    client.get("/")
    with django_assert_num_queries(2):  # the session and the user, each from the database
        assert client.get("/").status_code == 200


def test_the_async_read_goes_through_the_same_cache(user, django_assert_num_queries):
    """aget_user (request.auser() in async code under ASGI) reads and fills the same entries."""
    backend = backends.CachedUserBackend()
    assert async_to_sync(backend.aget_user)(user.pk).pk == user.pk
    assert _cached(user).pk == user.pk
    with django_assert_num_queries(0):
        assert async_to_sync(backend.aget_user)(user.pk).pk == user.pk
    User.objects.filter(pk=user.pk).update(is_active=False)
    backends.forget_user(user.pk)
    assert async_to_sync(backend.aget_user)(user.pk) is None and _cached(user) is None
