# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scoring rule (pure).

Anchored on Polaris (score = 2*pass / (2*pass + warn + 2*danger)): a danger
check counts double.  Each check has a ``weight`` (importance); its points are
``weight * 2`` for severity ``danger`` and ``weight * 1`` for ``warning``.

- Component score = round(100 * points of passed checks / points of all its checks).
- Component verdict = PRODUCTION-READY when its score >= ``READY_THRESHOLD`` (90,
  Popeye's grade A) AND none of its danger checks fails; else NOT PRODUCTION-READY.
  A failing danger check is a blocker whatever the score.
- Overall score = round(mean of the component scores) (Popeye's cluster score).
- Overall verdict = PRODUCTION-READY only when every component is AND the overall score
  reaches the threshold the run enforces (``fail_under`` of tracing_readiness), so the report
  never calls ready a stack the same run fails (issue 9 item 5).
"""

from __future__ import annotations

from typing import Any, Iterable

SEVERITY_MULTIPLIER = dict(danger=2, warning=1)
READY_THRESHOLD = 90
READY = "PRODUCTION-READY"
NOT_READY = "NOT PRODUCTION-READY"


def points(check: dict[str, Any]) -> int:
    return check["weight"] * SEVERITY_MULTIPLIER[check["severity"]]


def component_score(checks: list[dict[str, Any]]) -> int:
    total = sum(points(c) for c in checks)
    if not total:
        return 0
    passed = sum(points(c) for c in checks if c["passed"])
    return int(round(100.0 * passed / total))


def component_verdict(score: int, checks: list[dict[str, Any]]) -> str:
    blockers = [c for c in checks if c["severity"] == "danger" and not c["passed"]]
    return READY if score >= READY_THRESHOLD and not blockers else NOT_READY


def summarize(checks: list[dict[str, Any]], components: Iterable[str], fail_under: int | None = None) -> dict[str, Any]:
    """``checks``: the check dicts; ``components``: component ids in report order;
    ``fail_under``: the score below which the run fails (None: no threshold)."""
    out = dict(components={})
    for comp in components:
        mine = [dict(c, points=points(c)) for c in checks if c["component"] == comp]
        score = component_score(mine)
        out["components"][comp] = dict(score=score, verdict=component_verdict(score, mine), checks=mine)
    scores = [c["score"] for c in out["components"].values()]
    out["score"] = int(round(float(sum(scores)) / len(scores))) if scores else 0
    ready = bool(scores) and all(c["verdict"] == READY for c in out["components"].values())
    if fail_under is not None and out["score"] < fail_under:
        ready = False
    out["fail_under"] = fail_under
    out["verdict"] = READY if ready else NOT_READY
    return out
