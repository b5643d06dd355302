# -*- coding: utf-8 -*-
"""Documents keep every version, which the app's database role cannot rewrite, and the hub reads them, and only
them, with the instance's hub key through nginx TLS (issue 11)."""

from __future__ import annotations

import json

from crhq_testbed import app_shell

testinfra_hosts = ["ansible://crhq"]

APP_PSQL = ("PGPASSWORD=$(cat /etc/crhq/keys/db-app.password) psql -h /run/postgresql -U crhq_app -d crhq "
            "-v ON_ERROR_STOP=1 -qAt")
MAKE = r'''
from crhq_app.content.models import Document
document = Document(title="test_19 plan", body="first")
document.save_as("test_19", reason="created")
document.body = "second"
document.save_as("test_19", reason="edited")
print(document.pk)
'''


def hub_get(helper, site, key, query):
    out = helper.check_output("curl -s --max-time 15 --cacert /tmp/pebble-root.pem -w '\\n%%{http_code}' "
                              "-H %s https://%s/api/v1/hub/versions%s",
                              "Authorization: Bearer " + key, site, query)
    body, status = out.rsplit("\n", 1)
    return int(status), json.loads(body)


def test_the_hub_reads_document_versions_with_its_key_and_nothing_else(host, helper, site):
    pk = int(app_shell(host, MAKE).splitlines()[-1])
    hub_key = host.file("/etc/crhq/keys/hub.key").content_string.strip()
    status, first = hub_get(helper, site, hub_key, "?since=0&limit=500")
    assert status == 200
    mine = [v for v in first["versions"] if v["document"] == pk]
    expected = [("first", "created", "test_19"), ("second", "changed", "test_19")]
    assert [(v["body"], v["change"], v["actor"]) for v in mine] == expected
    status, after = hub_get(helper, site, hub_key, "?since=%d" % first["next"])
    assert status == 200 and after == {"versions": [], "next": first["next"]}
    # the hub key opens nothing else, and nothing else opens the sync
    other = helper.run("curl -s -o /dev/null -w '%%{http_code}' --cacert /tmp/pebble-root.pem -H %s "
                       "https://%s/api/v1/credentials", "Authorization: Bearer " + hub_key, site)
    assert other.stdout == "401"
    status, refused = hub_get(helper, site, "crhq_hk_" + "0" * 43, "")
    assert status == 401 and "hub key" in refused["error"]
    rows = host.check_output("runuser -u postgres -- psql -d crhq -qAt -c \"select result from vault_auditevent "
                             "where action = 'hub.sync' order by seq desc limit 3\"").split()
    assert rows == ["denied", "ok", "ok"]
    assert hub_key not in host.check_output("runuser -u postgres -- pg_dump -d crhq --data-only -t vault_auditevent")


def test_document_versions_are_immutable_for_the_app_role(host):
    assert int(host.check_output(APP_PSQL + " -c 'select count(*) from content_historicaldocument'")) >= 2
    for statement in ("update content_historicaldocument set body = 'rewritten'",
                      "delete from content_historicaldocument", "truncate content_historicaldocument"):
        refused = host.run(APP_PSQL + " -c %s", statement)
        assert refused.rc != 0 and "permission denied for table content_historicaldocument" in refused.stderr, refused
