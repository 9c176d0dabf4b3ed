# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: transient
short_description: Whether a task failed with an API answer that a bounded retry may clear
version_added: 0.1.0
description:
  - 'True when the registered result failed and its message (C(msg)) carries one of the transient API answers
    409, 429, 500, 502, 503 or 504, as kubernetes.core quotes them (C("code": 503)) and as the collection''s modules
    do (C(answered 503)); also True for a message string that does.'
  - False for a success and for every other failure (validation, RBAC, not found, unreachable), which a retry
    cannot fix.
  - "The one retry condition of the collection's roles, C(until: result is not talos_homelab.tracing.transient),
    instead of a copied regular expression. The codes live in the collection's shared constants."
options:
  _input:
    description: A registered task result, or a failure message.
    type: raw
    required: true
author:
  - talos_homelab.tracing contributors (@talos-homelab)
"""

EXAMPLES = r"""
- name: Read the namespace, retrying transient API answers only
  kubernetes.core.k8s_info:
    kind: Namespace
    name: jaeger
  register: ns_info
  until: ns_info is not talos_homelab.tracing.transient
  retries: 4
  delay: 2
"""

RETURN = r"""
_value:
  description: Whether the result is a failure worth a retry.
  type: bool
"""

import re

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import TRANSIENT_MESSAGE_PATTERN

_PATTERN = re.compile(TRANSIENT_MESSAGE_PATTERN)


def transient(result):
    """True for a failed result (or a message) naming a transient API answer."""
    if isinstance(result, dict):
        if not result.get("failed"):
            return False
        message = result.get("msg")
    else:
        message = result
    return bool(_PATTERN.search(to_text(message or "")))


class TestModule(object):
    def tests(self):
        return {"transient": transient}
