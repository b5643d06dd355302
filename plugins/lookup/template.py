# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: template
short_description: Render templates as ansible.builtin.template writes them, without a deep copy of every variable
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Returns the text of each named template, rendered exactly as the P(ansible.builtin.template#lookup) lookup
    renders it (the same search path, the same C(ansible_managed) and C(template_*) variables, the same options),
    and so as the P(ansible.builtin.template#module) module writes it with the same options.
  - The built-in lookup deep-copies all of the task's variables (every role's defaults and the host's facts) once
    for every template, before it adds the few template variables to the copy. This lookup hands it a copy that
    is only one level deep, which is all that adding variables needs, since rendering never changes a variable.
    The roles of this collection compare many rendered templates with the files on the host in one task, where
    that copy cost about two seconds of the controller's time per run.
  - Every other behaviour, option and error is the built-in lookup's, which this one calls with the options it is
    given (also those of older ansible-core releases, such as C(convert_data)).
options:
  _terms:
    description: The templates to render, found like the built-in lookup finds them (a role's C(templates)).
    type: list
    elements: string
    required: true
  template_vars:
    description: Additional variables for the templates, as for the built-in lookup.
    type: dict
    default: {}
  variable_start_string:
    description: As for the built-in lookup.
    type: string
    default: '{{'
  variable_end_string:
    description: As for the built-in lookup.
    type: string
    default: '}}'
  comment_start_string:
    description: As for the built-in lookup.
    type: string
    default: '{#'
  comment_end_string:
    description: As for the built-in lookup.
    type: string
    default: '#}'
  trim_blocks:
    description: As for the built-in lookup (ansible-core 2.19 and later; earlier releases ignore it).
    type: boolean
    default: true
seealso:
  - plugin: ansible.builtin.template
    plugin_type: lookup
  - plugin: crhq.platform.paths_in_place
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Which files are already as this role would write them
  ansible.builtin.set_fact:
    nginx_in_place: >-
      {{ nginx_state.files | crhq.platform.paths_in_place(nginx_managed,
           dict(nginx_managed | map(attribute='path')
                | zip(query('crhq.platform.template', *(nginx_managed | map(attribute='src')))))) }}
"""

RETURN = r"""
_raw:
  description: The rendered text of each template, in the order of the terms.
  type: list
  elements: string
"""

from ansible.plugins.loader import lookup_loader
from ansible.plugins.lookup import LookupBase


class _CopiedOneLevel(dict):
    """The task's variables; a deep copy of this mapping copies one level only.

    The built-in lookup copies the variables before it adds the template variables to the copy; rendering reads
    the values and never changes them, so a copy of the top level keeps the caller's variables as they were.
    """

    def __deepcopy__(self, memo):
        return dict(self)


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        builtin = lookup_loader.get('ansible.builtin.template', loader=self._loader, templar=self._templar)
        return builtin.run(terms, variables=_CopiedOneLevel(variables or {}), **kwargs)
