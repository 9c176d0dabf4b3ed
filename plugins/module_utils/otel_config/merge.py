# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""User overrides of a rendered Collector configuration, merged as data (pure).

``deep_merge(base, overrides)`` has the semantics of Ansible's ``combine(overrides, recursive=true)``
(``list_merge='replace'``), which the agents' role used before its configuration moved to Python: where
both sides hold a mapping the two are merged key by key; anywhere else the override's value replaces the
rendered one, whatever its type: a list replaces a list (no appending), ``null`` replaces a value (the key
stays, with an empty value: the Collector then uses the component's default), a scalar replaces a mapping.
Keys that only the rendered configuration has are kept. Neither argument is modified.

``owned_endpoint_conflicts(overrides, owned)``: the overrides that would change a listening port which a
role variable owns (the port is also the container's port, the Service's and the probes'), and
``merge_overrides(config, overrides, owned, source, action)``, which refuses them with ``TracingError``,
naming the variable, and deep-merges the rest. Another host (e.g. ``${env:MY_POD_IP}``) on the same port is
accepted.
"""

from __future__ import annotations


import copy
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

Path = Tuple[str, ...]


def deep_merge(base: Mapping, overrides: Mapping) -> Dict[str, Any]:
    """``base`` with ``overrides`` merged into it (mappings merged recursively, everything else replaced)."""
    merged = dict(base)
    for key, value in (overrides or {}).items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def lookup(data: Any, path: Path) -> Tuple[bool, Any]:
    """``(found, value)`` of the key path ``path`` in nested mappings."""
    for key in path:
        if not isinstance(data, Mapping) or key not in data:
            return False, None
        data = data[key]
    return True, data


def endpoint_port(endpoint: Any) -> str:
    """The port of a ``host:port`` endpoint as text ('' without one)."""
    text = str(endpoint if endpoint is not None else "")
    host, sep, port = text.rpartition(":")
    return port if sep and host and port.isdigit() else ""


def owned_endpoint_conflicts(overrides: Mapping, owned: List[Tuple[Path, str, Any]]) -> List[Tuple[str, Any, str, Any]]:
    """``(dotted path, override value, variable, variable value)`` per owned endpoint the overrides move.

    ``owned``: ``(path in the configuration, variable name, the variable's port)`` triples."""
    conflicts = []
    for path, variable, port in owned:
        found, value = lookup(overrides, path)
        if found and endpoint_port(value) != str(port):
            conflicts.append((".".join(path), value, variable, port))
    return conflicts


def merge_overrides(config: Mapping, overrides: Optional[Mapping], owned: List[Tuple[Path, str, Any, str]],
                    source: str, action: str) -> Dict[str, Any]:
    """``config`` with ``overrides`` (the value of variable ``source``) deep-merged.

    ``owned``: ``(path, variable, the variable's port, where else the role uses that port)``; an override
    that moves one of those endpoints to another port raises ``TracingError`` ("Failed to ``action``")."""
    conflicts = owned_endpoint_conflicts(overrides or {}, [entry[:3] for entry in owned])
    if conflicts:
        path, value, variable, port = conflicts[0]
        users = dict((entry[1], entry[3]) for entry in owned)[variable]
        raise TracingError(
            action, "%s sets %s to %r, off port %s of %s, which %s use too." % (source, path, value, port, variable, users),
            "set %s to the port you want and leave %s out of %s (another host on the same port, e.g. "
            "${env:MY_POD_IP}:%s, is accepted)." % (variable, path, source, port))
    return deep_merge(config, overrides or {})
