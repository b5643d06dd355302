# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options of the modules that drive the CRHQ app's own command (plugins/module_utils/app_command.py)."""

    DOCUMENTATION = r"""
options:
  command:
    description: The app's command, as installed by the P(crhq.platform.app#role) role.
    type: path
    default: /opt/crhq/app/current/venv/bin/crhq-app
  env_file:
    description:
      - The app's environment file (systemd C(EnvironmentFile) syntax) with its C(CRHQ_*) settings.
      - Lines are C(KEY=VALUE); a value may be surrounded by double or single quotes, which are
        removed (escapes inside them are not interpreted). Blank lines and lines starting with
        C(#) or C(;) are skipped.
      - The command runs with these variables over C(PATH) and C(LANG=C.UTF-8) only, not with the
        environment the module runs in.
    type: path
    default: /etc/crhq/app.env
notes:
  - Runs on the host where the app is installed, as root (C(become=true)). Only the standard library and the
    app's own command are needed there.
"""
