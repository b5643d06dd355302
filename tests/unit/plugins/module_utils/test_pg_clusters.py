# -*- coding: utf-8 -*-
"""Choosing the PostgreSQL cluster by version (#12: `| first` took whichever cluster find listed first)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.filter.postgresql_cluster import postgresql_cluster

ONE = ["15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log"]
# after a Debian 12 -> 13 upgrade, before pg_upgradecluster: the data is in 15, the new 17 cluster is empty
UPGRADED = ONE + ["17  main    5433 online postgres /var/lib/postgresql/17/main /var/log/postgresql/postgresql-17-main.log"]
# after pg_upgradecluster 15 main: 17 took the default port, 15 moved aside
MOVED = ["15  main    5433 down   postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log",
         "17  main    5432 online postgres /var/lib/postgresql/17/main /var/log/postgresql/postgresql-17-main.log"]


def test_the_only_cluster():
    cluster = postgresql_cluster(ONE)
    assert (cluster["version"], cluster["port"], cluster["conf_dir"], cluster["others"]) == (
        "15", 5432, "/etc/postgresql/15/main", [])


@pytest.mark.parametrize("lines, version", [(UPGRADED, "15"), (list(reversed(UPGRADED)), "15"), (MOVED, "17"),
                                            (list(reversed(MOVED)), "17")])
def test_two_clusters_after_an_upgrade_the_one_clients_reach(lines, version):
    cluster = postgresql_cluster(lines)
    assert cluster["version"] == version and cluster["conf_dir"] == "/etc/postgresql/%s/main" % version
    assert cluster["others"] == [v for v in ("15", "17") if v != version]


def test_a_version_asked_for_is_taken_or_refused_by_name():
    assert postgresql_cluster(UPGRADED, version="17")["port"] == 5433
    with pytest.raises(AnsibleFilterError, match=r"no PostgreSQL cluster 16/main.*15/main on port 5432 \(online\), "
                                                 r"17/main on port 5433 \(online\)"):
        postgresql_cluster(UPGRADED, version="16")


def test_nothing_decides_between_clusters_off_the_default_port():
    lines = [line.replace(" 5432 ", " 5434 ") for line in UPGRADED]
    with pytest.raises(AnsibleFilterError, match="set postgresql_version to the one holding the data"):
        postgresql_cluster(lines)


def test_no_cluster_at_all_and_unreadable_lines():
    assert postgresql_cluster([]) is None
    assert postgresql_cluster(["", "  "]) is None
    with pytest.raises(AnsibleFilterError, match="no PostgreSQL cluster called main"):
        postgresql_cluster([ONE[0].replace(" main ", " other ")])
    with pytest.raises(AnsibleFilterError, match="cannot read"):
        postgresql_cluster(["Ver Cluster Port Status Owner Data directory Log file"])
