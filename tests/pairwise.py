"""All-pairs combinations (test tooling): every pair of levels of every two factors in at least one case.

``cases(factors)`` takes ``{name: [level, ...]}`` and returns a list of ``{name: level}`` dicts such that
for any two names and any level of each, some case holds both. Greedy and deterministic (the classic
AETG-style construction: each new case starts from an uncovered pair and takes, factor by factor, the
level that covers the most pairs still uncovered; ties go to the earliest level), so a run is
reproducible and its size is close to the product of the two largest level counts.
"""

from __future__ import annotations

import itertools
from typing import Any, Dict, List


def _pairs(factors: Dict[str, list]) -> set:
    names = list(factors)
    out = set()
    for a, b in itertools.combinations(range(len(names)), 2):
        for i in range(len(factors[names[a]])):
            for j in range(len(factors[names[b]])):
                out.add((a, i, b, j))
    return out


def cases(factors: Dict[str, list]) -> List[Dict[str, Any]]:
    names = list(factors)
    levels = [list(factors[n]) for n in names]
    if any(not lv for lv in levels):
        raise ValueError("every factor needs at least one level")
    uncovered = _pairs(factors)
    result = []
    while uncovered:
        a, i, b, j = min(uncovered)
        chosen = {a: i, b: j}
        for f in range(len(names)):
            if f in chosen:
                continue
            best, best_gain = 0, -1
            for lv in range(len(levels[f])):
                gain = sum(1 for g, gl in chosen.items()
                           if ((min(f, g), lv if f < g else gl, max(f, g), gl if f < g else lv) in uncovered))
                if gain > best_gain:
                    best, best_gain = lv, gain
            chosen[f] = best
        for f, g in itertools.combinations(sorted(chosen), 2):
            uncovered.discard((f, chosen[f], g, chosen[g]))
        result.append({names[f]: levels[f][chosen[f]] for f in range(len(names))})
    if not result:  # one factor (or none): one case per level
        result = [{names[0]: lv} for lv in levels[0]] if names else [{}]
    return result


def covered(factors: Dict[str, list], result: List[Dict[str, Any]]) -> bool:
    """True when ``result`` holds every pair of levels of ``factors`` (compared by equality)."""
    names = list(factors)
    for a, b in itertools.combinations(names, 2):
        for x in factors[a]:
            for y in factors[b]:
                if not any(c[a] == x and c[b] == y for c in result):
                    return False
    return True
