"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test creates its sanity venvs without pip and runs a get-pip script from
~/.ansible/test/cache/get_pip_<version>.py, fetched from a CI host that this machine cannot reach
(package registries only). This stand-in does the same job with what is reachable: it puts the
standard library's bundled pip into the venv (ensurepip), then installs the exact pip and packages
ansible-test asked for from PyPI. scripts/test copies it into place when no real script is cached.
"""

import os
import subprocess
import sys

SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
ARGS = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]

# ansible-test runs pip with a reduced environment (no PIP_CERT); pip reads <venv>/pip.conf, so
# the venv trusts the system's CA store like the rest of the machine.
if os.path.exists(SYSTEM_CA_BUNDLE):
    with open(os.path.join(sys.prefix, "pip.conf"), "w", encoding="utf-8") as handle:
        handle.write("[global]\ncert = %s\n" % SYSTEM_CA_BUNDLE)
# ensurepip runs in its own process: in-process it sets PIP_CONFIG_FILE=/dev/null for the rest of it
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--quiet"] + ARGS)
