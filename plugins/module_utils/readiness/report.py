# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Markdown report in the user's own format (pure).

One tree per component, then the verdict::

    Jaeger: 30/100 — NOT PRODUCTION-READY
    ├── ✅ Jaeger running: Jaeger jaeger/jaeger phase Running
    └── ❌ Production deployment strategy: strategy allInOne (fix: ...)

    VERDICT: NOT PRODUCTION-READY (overall 27/100)

The trees sit in a fenced block so that Markdown keeps the tree lines.  The
report holds no timestamp: the same cluster state gives the same bytes, so a
report file is rewritten only when something changed.
"""

from __future__ import annotations

from typing import Any

PASS_MARK = u"\u2705"
FAIL_MARK = u"\u274c"
BRANCH = u"\u251c\u2500\u2500 "
LAST = u"\u2514\u2500\u2500 "
DASH = u"\u2014"


def check_line(check: dict[str, Any], last: bool) -> str:
    mark = PASS_MARK if check["passed"] else FAIL_MARK
    line = u"%s%s %s: %s" % (LAST if last else BRANCH, mark, check["title"], check["evidence"])
    if not check["passed"]:
        line += u" (fix: %s)" % check["fix"].rstrip(".")
    return line


def component_header(title: str, component: dict[str, Any]) -> str:
    return u"%s: %d/100 %s %s" % (title, component["score"], DASH, component["verdict"])


# ``grpc-plugin`` is the operator mode: whatever a Jaeger CR runs (the seed's all-in-one included).
MODE_TITLES = {
    "tempo": u"storage mode `tempo` (Tempo on the S3 bucket, Jaeger Query through tempo-query)",
    "grpc-plugin": u"a Jaeger operator CR (storage mode `grpc-plugin` when production-ready)",
}


def render(summary: dict[str, Any], titles: list[tuple[str, str]], mode: str | None = None) -> str:
    """``summary`` from ``score.summarize``; ``titles`` maps component ids to display names (ordered)."""
    lines = [u"# Tracing readiness", u""]
    if mode:
        lines += [u"Jaeger judged as: %s" % MODE_TITLES.get(mode, u"`%s`" % mode), u""]
    lines.append(u"```text")
    for comp, title in titles:
        data = summary["components"][comp]
        lines.append(component_header(title, data))
        checks = data["checks"]
        for idx, check in enumerate(checks):
            lines.append(check_line(check, idx == len(checks) - 1))
        lines.append(u"")
    threshold = summary.get("fail_under")
    lines.append(u"VERDICT: %s (overall %d/100%s)" % (
        summary["verdict"], summary["score"], u", fail_under %d" % threshold if threshold is not None else u""))
    lines.append(u"```")
    return u"\n".join(lines) + u"\n"
