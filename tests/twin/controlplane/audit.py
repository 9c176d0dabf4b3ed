"""Request counts from the API server's audit log (Talos' policy: every request at level Metadata,
one JSON event per line and stage; a request is counted at its ResponseComplete stage)."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from typing import Any


def events(path: str) -> Iterator[dict[str, Any]]:
    """The completed requests of the log at ``path`` (its ResponseComplete events), oldest first."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                event = json.loads(line)
                if event.get("stage") == "ResponseComplete":
                    yield event


def count(path: str, user: str | None = None, namespace: str | None = None) -> collections.Counter[tuple[str, str]]:
    """Completed requests by (verb, resource), optionally of one user and one namespace."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for e in events(path):
        ref = e.get("objectRef") or {}
        if user is not None and e["user"].get("username") != user:
            continue
        if namespace is not None and ref.get("namespace") != namespace:
            continue
        counts[(e["verb"], ref.get("resource", e.get("requestURI", "")))] += 1
    return counts
