# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one retry policy: which answers are retried, how long to wait, how often.

Only a transient answer is retried (``constants.TRANSIENT_STATUSES``: 409, 429, 500, 502, 503,
504); every other failure raises at once.  Retry ``n`` (0-based) waits ``delay * 2**n`` seconds, at
most ``MAX_DELAY``; a 429 whose ``Retry-After`` asks for longer waits that (capped too).

Where it applies, once per request (the retries never nest):

* ``K8sClient`` (module_utils/k8s.py): every GET, ``READS``;
* ``k8s_apply`` (module_utils/apply.py): each plan and each write of one object, ``retries`` /
  ``retry_delay`` of the task;
* ``jaeger_storage_secret``: its write, by re-running the module's read-compare-write
  (module_utils/storage_secret/write.py, ``WRITES``);
* ``k8s_apply``'s waits poll through a transient read (module_utils/rollout.py, ``is_transient``).

The roles add no retry of their own around these modules.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any, Callable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import (
    TRANSIENT_MESSAGE_PATTERN,
    TRANSIENT_STATUSES,
)

# Upper bound of one wait between attempts, also for a Retry-After the server asks for.
MAX_DELAY = 30.0
_TRANSIENT_RE = re.compile(TRANSIENT_MESSAGE_PATTERN)


def _chain(exc: BaseException | None) -> list[BaseException]:
    """The exception and its causes/contexts (kubernetes.core raises CoreException from the ApiException)."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def transient_status(exc: BaseException) -> int | None:
    """The HTTP status of ``exc`` when it is worth a retry, else ``None``."""
    for item in _chain(exc):
        status = getattr(item, "status", None)
        if isinstance(status, int):
            return status if status in TRANSIENT_STATUSES else None
    match = _TRANSIENT_RE.search(str(exc))
    return int(match.group(2)) if match else None


def is_transient(exc: BaseException) -> bool:
    return transient_status(exc) is not None


def retry_after(exc: BaseException) -> float | None:
    """Seconds of the Retry-After header of ``exc`` (delta-seconds form, RFC 9110 10.2.3), else ``None``."""
    for item in _chain(exc):
        headers = getattr(item, "headers", None)
        if not headers:
            continue
        for key in headers:
            if str(key).lower() == "retry-after":
                try:
                    return max(0.0, float(headers[key]))
                except (TypeError, ValueError):
                    return None
    return None


def backoff(attempt: int, delay: float, exc: BaseException | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): ``delay * 2**attempt``, at most MAX_DELAY.

    A 429 with Retry-After waits what the server asked for (at most MAX_DELAY) when that is longer.
    """
    wait = min(float(delay) * (2 ** attempt), MAX_DELAY)
    if exc is not None and transient_status(exc) == 429:
        asked = retry_after(exc)
        if asked is not None:
            wait = max(wait, min(asked, MAX_DELAY))
    return wait


def call_with_retry(fn: Callable[[], Any], retries: int, delay: float, sleep: Callable[[float], Any] = time.sleep,
                    retryable: Callable[[BaseException], bool] = is_transient) -> tuple[Any, int]:
    """``(fn(), attempts)``; a ``retryable`` failure is retried at most ``retries`` times, others raise at once.

    The last exception carries ``attempts`` when it is raised.
    """
    attempt = 0
    while True:
        try:
            return fn(), attempt + 1
        except Exception as exc:  # clients raise several types; classified by ``retryable``
            if attempt >= retries or not retryable(exc):
                exc.attempts = attempt + 1
                raise
            sleep(backoff(attempt, delay, exc))
            attempt += 1


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one kind of request is retried (see the module docstring)."""

    retries: int
    delay: float

    def call(self, fn: Callable[[], Any], sleep: Callable[[float], Any] = time.sleep,
             retryable: Callable[[BaseException], bool] = is_transient) -> tuple[Any, int]:
        return call_with_retry(fn, self.retries, self.delay, sleep=sleep, retryable=retryable)


# One GET of K8sClient: waits 0.5, 1, 2 s (a Retry-After of a 429 when longer), then fails.
READS = RetryPolicy(retries=3, delay=0.5)
# One idempotent write of a module that re-reads before it writes again: waits 2, 4, 8, 16 s.
WRITES = RetryPolicy(retries=4, delay=2.0)
