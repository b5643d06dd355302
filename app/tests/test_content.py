"""Documents with version history (django-simple-history) and the hub's read-only sync (issue 11)."""

import json
import re

import pytest
from django.db import DatabaseError, transaction

from crhq_app.content.models import Document
from crhq_app.vault.models import AuditEvent
from crhq_testing import log_in, make_client

HUB_KEY = "crhq_hk_" + "H" * 43


@pytest.fixture
def person(user):
    client = make_client()
    log_in(client, user)
    return client


def doc_id(response):
    return int(re.search(r"/documents/(\d+)/", response["Location"]).group(1))


def test_every_change_is_a_version_with_who_when_and_a_diff(person, user):
    created = person.post("/documents/", {"title": "Plan", "body": "line one\nline two\n"})
    pk = doc_id(created)
    person.post("/documents/%d/" % pk, {"title": "Plan", "body": "line one\nline 2\nline three\n"})
    person.post("/documents/%d/" % pk, {"title": "Plan B", "body": "line one\nline 2\nline three\n"})
    document = Document.objects.get(pk=pk)
    versions = list(document.history.order_by("history_id"))
    assert [v.history_change_reason for v in versions] == ["created", "edited", "edited"]
    assert all(v.history_user_id == user.pk and v.actor == "user:%d:alice" % user.pk for v in versions)
    diff = person.get("/documents/%d/history/2/" % pk).content.decode()
    assert "-line two" in diff and "+line 2" in diff and "+line three" in diff
    title = person.get("/documents/%d/history/3/" % pk).content.decode()
    assert "title: Plan &rarr; Plan B" in title
    history = person.get("/documents/%d/history/" % pk).content.decode()
    assert history.count("Restore</button>") == 3
    # saving the same content again makes no version
    person.post("/documents/%d/" % pk, {"title": "Plan B", "body": "line one\nline 2\nline three\n"})
    assert document.history.count() == 3


def test_a_restore_is_a_new_version_and_deletions_are_recoverable(person):
    pk = doc_id(person.post("/documents/", {"title": "Notes", "body": "first"}))
    person.post("/documents/%d/" % pk, {"title": "Notes", "body": "second"})
    person.post("/documents/%d/history/1/restore" % pk)
    document = Document.objects.get(pk=pk)
    assert document.body == "first" and document.history.count() == 3
    assert document.history.latest().history_change_reason == "restored version 1"
    person.post("/documents/%d/delete" % pk)
    assert Document.objects.get(pk=pk).deleted_at is not None
    assert "Notes" in person.get("/documents/").content.decode()  # listed under Deleted
    person.post("/documents/%d/history/4/restore" % pk)  # the version before the deletion was 3; 4 is the deletion
    assert Document.objects.get(pk=pk).deleted_at is None
    person.post("/documents/%d/history/3/restore" % pk)
    restored = Document.objects.get(pk=pk)
    assert (restored.body, restored.deleted_at) == ("first", None) and restored.history.count() == 6
    actions = [e.action for e in AuditEvent.objects.filter(object_type="document").order_by("seq")]
    assert actions == ["document.create", "document.update", "document.restore", "document.delete",
                       "document.restore", "document.restore"]


def test_versions_cannot_be_changed_or_removed(person):
    pk = doc_id(person.post("/documents/", {"title": "T", "body": "b"}))
    version = Document.objects.get(pk=pk).history.first()
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        Document.history.filter(history_id=version.history_id).update(body="rewritten")
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        Document.history.filter(history_id=version.history_id).delete()


def test_hub_sync_exports_versions_since_a_cursor_with_the_hub_key_only(person, settings, monkeypatch):
    settings.CRHQ_HUB_KEY = HUB_KEY
    pk = doc_id(person.post("/documents/", {"title": "Shared", "body": "v1"}))
    person.post("/documents/%d/" % pk, {"title": "Shared", "body": "v2"})
    hub = make_client(HTTP_AUTHORIZATION="Bearer " + HUB_KEY)
    first = hub.get("/api/v1/hub/versions?since=0&limit=1").json()
    assert [v["body"] for v in first["versions"]] == ["v1"] and first["versions"][0]["change"] == "created"
    second = hub.get("/api/v1/hub/versions?since=%d" % first["next"]).json()
    assert [v["body"] for v in second["versions"]] == ["v2"]
    assert hub.get("/api/v1/hub/versions?since=%d" % second["next"]).json() == {"versions": [], "next": second["next"]}
    # read-only: no other method; the hub key opens nothing else; nothing else opens this
    assert hub.post("/api/v1/hub/versions").status_code == 405
    assert hub.get("/api/v1/credentials").status_code == 401
    assert person.get("/api/v1/hub/versions").status_code == 401
    assert make_client(HTTP_AUTHORIZATION="Bearer crhq_hk_" + "X" * 43).get("/api/v1/hub/versions").status_code == 401
    syncs = AuditEvent.objects.filter(action="hub.sync").order_by("seq")
    assert [(e.result, e.actor_type) for e in syncs] == [("ok", "hub")] * 3 + [("denied", "hub")] * 2
    assert HUB_KEY not in json.dumps([e.as_dict() for e in AuditEvent.objects.all()])


def test_without_a_hub_key_the_sync_refuses_everyone(person, settings):
    settings.CRHQ_HUB_KEY = ""
    assert make_client(HTTP_AUTHORIZATION="Bearer " + HUB_KEY).get("/api/v1/hub/versions").status_code == 401


def test_a_user_with_versions_can_be_deleted_and_the_versions_stay(person, user):
    pk = doc_id(person.post("/documents/", {"title": "Kept", "body": "x"}))
    user_pk = user.pk
    user.delete()
    version = Document.objects.get(pk=pk).history.get()
    assert version.history_user_id == user_pk and version.actor.endswith(":alice")
