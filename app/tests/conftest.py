"""Fixtures: a client behind nginx, users with TOTP enrolled."""

import pytest

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
