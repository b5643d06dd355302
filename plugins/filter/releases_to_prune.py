# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: releases_to_prune
short_description: Release directories to delete, all but the newest and the protected ones
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Takes the C(files) list of one M(ansible.builtin.find) run over a releases directory and returns the paths
    of the releases to delete, so that the O(keep) newest stay, and the O(protect)ed ones (the current and the
    previous release, the rollback targets) stay whatever their age.
  - Age is the C(mtime) that M(ansible.builtin.find) reports; of two releases with the same C(mtime) the one
    whose name sorts later counts as newer.
  - Protected releases count toward O(keep). With O(keep=3) and the current and the previous release
    protected, one more release stays, the newest of the others.
  - Entries that are not directories (C(isdir) false) or are symbolic links (C(islnk) true), such as a
    C(current) link beside the releases, are never returned and do not count.
options:
  _input:
    description: The C(files) list registered from M(ansible.builtin.find); each entry needs C(path) and C(mtime).
    type: list
    elements: dict
    required: true
  keep:
    description: How many releases stay, the protected ones included; at least 1.
    type: int
    required: true
  protect:
    description:
      - Releases that are never returned, as absolute paths (for example where the C(current) and C(previous)
        links point) or as names. An entry is protected when its path or its base name is the one of an item,
        so a link target that names the release through another path (a symbolic link higher up) still matches.
      - Empty items and null are ignored, for a previous release that does not exist yet.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Read the releases
  ansible.builtin.find:
    paths: /opt/crhq/app/releases
    file_type: directory
  register: app_releases

- name: Where current and previous point
  ansible.builtin.stat:
    path: "{{ item }}"
  loop: [/opt/crhq/app/current, /opt/crhq/app/previous]
  register: app_links

- name: Delete all but the three newest releases, never the current or the previous one
  ansible.builtin.file:
    path: "{{ item }}"
    state: absent
  loop: >-
    {{ app_releases.files | crhq.platform.releases_to_prune(keep=3,
         protect=app_links.results | map(attribute='stat.lnk_source', default='') | list) }}
"""

RETURN = r"""
_value:
  description: The paths of the releases to delete, as the find result gives them, oldest first.
  type: list
  elements: string
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.releases import ReleaseError, releases_to_prune


def releases_to_prune_filter(found, keep, protect=None):
    try:
        return releases_to_prune(found, keep, protect)
    except ReleaseError as exc:
        raise AnsibleFilterError("releases_to_prune: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"releases_to_prune": releases_to_prune_filter}
