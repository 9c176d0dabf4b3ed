# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of the k8s_apply module: runs it in the worker when that is the same (plugin_utils/in_worker.py)."""

from ansible_collections.talos_homelab.tracing.plugins.plugin_utils.in_worker import ModuleInWorker, preload

preload("k8s_apply")


class ActionModule(ModuleInWorker):
    pass
