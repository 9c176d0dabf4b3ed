"""Bench-only callback: append one JSON line per task start (time, role, task) to $BENCH_TASK_TIMES.

Used by tests/bench/site_rerun.py to attribute the twin's request log to roles/steps.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_times
type: aggregate
short_description: record task start times for the benchmark
description: Appends one JSON line per task start to the file named by BENCH_TASK_TIMES.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, task):
        path = os.environ.get("BENCH_TASK_TIMES")
        if not path:
            return
        role = task._role.get_name() if getattr(task, "_role", None) else ""
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"time": time.time(), "role": role, "task": task.get_name()}) + "\n")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._record(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._record(task)
