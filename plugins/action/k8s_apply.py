# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of every module of the collection: runs it in the worker when that is the same (plugin_utils/in_worker.py).

This is the one file; the other action plugins are symlinks to it, and each serves the module it is
named after (the name it is loaded as).
"""

from ansible_collections.talos_homelab.tracing.plugins.plugin_utils.in_worker import ModuleInWorker, module_name, preload

preload(module_name(__name__))


class ActionModule(ModuleInWorker):
    pass
