# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one exception type.

Every failure a module reports is a ``TracingError`` whose message reads
"Failed to <action>: <problem>" and which carries the fix the user should apply.
"""

from __future__ import annotations

from typing import Any


class TracingError(Exception):
    """A failure with the action that failed, the problem, and the fix."""

    def __init__(self, action: str, problem: str, fix: str | None = None, **details: Any) -> None:
        self.action = action
        self.problem = problem
        self.fix = fix
        self.details = details
        super(TracingError, self).__init__(self.message)

    @property
    def message(self) -> str:
        msg = "Failed to %s: %s" % (self.action, self.problem)
        if self.fix:
            msg += " Fix: %s" % self.fix
        return msg

    def fail_json_kwargs(self) -> dict[str, Any]:
        out = dict(msg=self.message)
        if self.fix:
            out["fix"] = self.fix
        out.update(self.details)
        return out
