# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which PostgreSQL cluster a role configures, from the output of Debian's pg_lsclusters."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DEFAULT_PORT = 5432


class ClusterError(Exception):
    """No cluster, or no single cluster, fits; the message says which exist and what to set."""


def parse(lines):
    """`pg_lsclusters --no-header` lines to dicts (version, name, port, status, owner, data_directory)."""
    clusters = []
    for line in lines:
        fields = str(line).split()
        if not fields:
            continue
        if len(fields) < 6 or not fields[2].isdigit():
            raise ClusterError("pg_lsclusters printed a line this filter cannot read: %r" % str(line)[:120])
        clusters.append({"version": fields[0], "name": fields[1], "port": int(fields[2]), "status": fields[3],
                         "owner": fields[4], "data_directory": fields[5]})
    return clusters


def _describe(clusters):
    return ", ".join("%s/%s on port %d (%s)" % (c["version"], c["name"], c["port"], c["status"]) for c in clusters) or "none"


def _version_key(version):
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def choose(clusters, version="", name="main"):
    """The cluster to configure: `version` when given (it must exist); otherwise the only cluster called `name`,
    or, when an upgrade left several, the one on PostgreSQL's default port, which clients reach. None when no
    cluster exists at all (a dry run on a host without PostgreSQL yet)."""
    version = str(version or "").strip()
    named = [c for c in clusters if c["name"] == name]
    if version:
        found = [c for c in named if c["version"] == version]
        if not found:
            raise ClusterError("no PostgreSQL cluster %s/%s: postgresql_version names a version without one (clusters: %s)"
                               % (version, name, _describe(clusters)))
        chosen = found[0]
    elif not clusters:
        return None
    elif not named:
        raise ClusterError("no PostgreSQL cluster called %s (clusters: %s)" % (name, _describe(clusters)))
    elif len(named) == 1:
        chosen = named[0]
    else:
        on_default = [c for c in named if c["port"] == DEFAULT_PORT]
        if len(on_default) != 1:
            raise ClusterError("several PostgreSQL clusters called %s and none on port %d (%s): set postgresql_version "
                               "to the one holding the data" % (name, DEFAULT_PORT, _describe(named)))
        chosen = on_default[0]
    result = dict(chosen)
    result["conf_dir"] = "/etc/postgresql/%s/%s" % (chosen["version"], chosen["name"])
    result["others"] = sorted((c["version"] for c in named if c is not chosen), key=_version_key)
    return result
