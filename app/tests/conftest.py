"""Fixtures: a client behind nginx, users with TOTP enrolled."""

import pytest
from django.core.cache import caches

from crhq_app.accounts import twofactor
from crhq_app.accounts.models import User
from crhq_testing import PASSWORD, make_client


@pytest.fixture
def client():
    return make_client()


@pytest.fixture
def make_user(db):
    def make(username="alice", password=PASSWORD, staff=False, totp=True):
        user = User.objects.create_user(username=username, password=password, is_staff=staff)
        if totp:
            twofactor.enrol_directly(user)
        return user
    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture(autouse=True)
def empty_shared_cache():
    """Each test starts with the workers' shared cache empty, as after a restart: the test database gives a new
    user the id of an earlier test's user, whose cache entry must not answer for it."""
    caches["sessions"].clear()
    yield
    caches["sessions"].clear()
