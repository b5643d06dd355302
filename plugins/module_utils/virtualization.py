# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether gathered facts describe a container guest (shared by the roles through the container_guest test)."""

from __future__ import annotations

# ansible's virtualization_type values for an operating-system container: its kernel, /proc/sys and the audit
# interface belong to the host, so kernel settings and auditd cannot be applied from inside
CONTAINER_TYPES = frozenset(("docker", "container", "lxc", "podman", "systemd-nspawn", "openvz", "containerd"))


def is_container_guest(facts):
    """True when `facts` (ansible_facts, or a dict with its virtualization_* keys) names a container guest."""
    if not isinstance(facts, dict):
        return False
    kind = facts.get("virtualization_type", facts.get("ansible_virtualization_type"))
    role = facts.get("virtualization_role", facts.get("ansible_virtualization_role"))
    return role == "guest" and kind in CONTAINER_TYPES
