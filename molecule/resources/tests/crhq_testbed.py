# -*- coding: utf-8 -*-
"""Shared pieces of the molecule verifiers: a check-mode re-run at -vvv and secret scanning."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def check_run(playbook="converge.yml", *extra):
    """Run a playbook of the scenario (its converge playbook unless told) with --check --diff -vvv; return (recap, output)."""
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    playbook = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], playbook)
    proc = subprocess.run(["ansible-playbook", "-i", inventory, playbook, "--check", "--diff", "-vvv", *extra],
                          capture_output=True, text=True, check=False, timeout=1800)
    output = proc.stdout + proc.stderr
    recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)),
                          "unreachable": int(m.group(4)), "failed": int(m.group(5))}
             for m in RECAP.finditer(proc.stdout)}
    assert proc.returncode == 0, output[-5000:]
    assert recap, "no PLAY RECAP in the check-mode run:\n" + output[-3000:]
    return recap, output


@pytest.fixture(scope="session", name="converged_check_run")
def fixture_converged_check_run():
    """(recap, output) of a --check --diff -vvv re-run of the scenario's converge playbook; a conftest imports it."""
    return check_run()


def secret_values(host, paths):
    """Every secret string stored in the given files on the host (keys, tokens, codes)."""
    values = []
    for path in paths:
        text = host.check_output("cat %s", path)
        values += re.findall(r'"key":\s*"([^"]+)"', text)
        if not text.lstrip().startswith("{"):
            values += [line.strip() for line in text.splitlines() if line.strip()]
    assert values, "no secret material found in %s" % paths
    return values
