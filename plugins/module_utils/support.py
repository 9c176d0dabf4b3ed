# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The support table of the images of storage mode tempo (pure; docs/storage.md section 2.5).

One source for "is this version supported": the preflight refuses with it, the readiness report
scores with it. Each row is ``(component, line, status, end of support, source)``:

* ``maintained``: the upstream project ships fixes for the line until ``end`` (ISO date), after
  which the line counts as end of life;
* ``end-of-life``: no fixes any more (a line the upstream table no longer lists);
* ``pairing``: the component is past its own end of life but is the only route that works
  (jaeger-query 1.x is the only Jaeger UI that can read Tempo through tempo-query), and the
  version is the one grafana/tempo-operator ships and tests; accepted, named in the evidence.

``assess(jaeger, today)`` returns ``(errors, warnings, rows)`` for the images of the variables.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.images import image_repo, tag_version

# grafana/tempo docs/sources/tempo/set-up-for-tracing/setup-tempo/recommended-versions.md ("Current
# versions": patch end dates 2.7.x 2025-10-13, 2.8.x 2026-03-10, 2.9.x 2026-12-31, 2.10.x 2027-04-26;
# 2.6 and older are not listed any more, i.e. long past end of life). tempo-query is released with Tempo.
TEMPO_POLICY = "grafana/tempo docs set-up-for-tracing/setup-tempo/recommended-versions"
OPERATOR_PAIRING = "grafana/tempo-operator v0.22.0 config/manager/manager.yaml"
JAEGER_V1_EOL = "Jaeger project: v1 end of life 2025-12-31"
_TEMPO_LINES = (
    ((2, 6), "end-of-life", None, TEMPO_POLICY + ": not listed, older than 2.7 (end of life 2025-10-13)"),
    ((2, 7), "maintained", "2025-10-13", TEMPO_POLICY),
    ((2, 8), "maintained", "2026-03-10", TEMPO_POLICY),
    ((2, 9), "maintained", "2026-12-31", TEMPO_POLICY),
    ((2, 10), "maintained", "2027-04-26", TEMPO_POLICY + "; 2.10.8 tested with tempo-query 2.10.8 and jaeger-query 1.68.0 in "
     + OPERATOR_PAIRING),
)

# (component, line, status, end of support or None, source); "maintained" turns end-of-life after its date.
TABLE = tuple(("tempo",) + row_ for row_ in _TEMPO_LINES) + tuple(("tempo-query",) + row_ for row_ in _TEMPO_LINES) + (
    ("jaeger-query", (1, 68), "pairing", "2025-12-31", JAEGER_V1_EOL + "; the only Jaeger UI that reads tempo-query,"
     " shipped with Tempo 2.10.8 in " + OPERATOR_PAIRING),
)
# The variables and the component each names.
COMPONENTS = (
    ("jaeger_production_tempo_image", "tempo"),
    ("jaeger_production_tempo_query_image", "tempo-query"),
    ("jaeger_production_query_image", "jaeger-query"),
)
# Tempo 3.0 removed -target=scalable-single-binary; more than one monolithic instance is
# unsupported and HA needs Kafka (docs/storage.md section 2.4).
TEMPO_MAX_MAJOR = 3
# Jaeger v2 >= 2.6.0 speaks only remote storage API v2 (jaegertracing/jaeger #6969); no released
# Tempo serves it (grafana/tempo PR #5155 open); 2.14.0 removed the v1 gRPC client (#7806).
JAEGER_V2_REPOS = ("jaegertracing/jaeger", "jaegertracing/jaeger-query", "jaegertracing/all-in-one")
TESTED_QUERY_IMAGE = "docker.io/jaegertracing/jaeger-query:1.68.0"
ALLOW_VAR = "jaeger_production_allow_unsupported"


def _truthy(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def row(component: str, version: tuple[int, ...]) -> tuple[Any, ...] | None:
    """The table row of ``component`` at ``version`` (a tuple), ``None`` when not in the table."""
    for entry in TABLE:
        if entry[0] == component and tuple(version[:2]) == entry[1]:
            return entry
    return None


def status(component: str, version: tuple[int, ...] | None, today: str) -> tuple[bool, tuple[Any, ...] | None, str]:
    """``(supported, row_or_None, text)`` for ``component`` at ``version`` on ``today`` (ISO date).

    A maintained line past its end date counts as end of life; ``text`` names the line, the
    status, the date and the source (the readiness evidence and the preflight messages use it).
    """
    line = "%d.%d" % tuple(version[:2])
    entry = row(component, version)
    if entry is None:
        return False, None, "%s %s is not in the support table (docs/storage.md section 2.5)" % (component, line)
    _c, _l, state, end, source = entry
    if state == "maintained" and end and today > end:
        state = "end-of-life"
    ok = state in ("maintained", "pairing")
    if state == "maintained":
        text = "%s %s is maintained until %s (checked %s; %s)" % (component, line, end, today, source)
    elif state == "pairing":
        text = ("%s %s is past its upstream end of life (%s) but is the tested pairing (checked %s; %s)"
                % (component, line, end, today, source))
    else:
        text = "%s %s is past end of support%s (checked %s; %s)" % (
            component, line, " (%s)" % end if end else "", today, source)
    return ok, entry, text


def assess(jaeger: dict[str, Any], today: str) -> tuple[list[TracingError], list[str], list[dict[str, Any]]]:
    """``(errors, warnings, rows)`` of the tempo-mode images in ``jaeger`` (role variables) on ``today``.

    ``rows``: ``[{component, image, version, supported, text}]`` for the readiness evidence.
    """
    errors, warnings, rows = [], [], []
    allow = _truthy(jaeger.get(ALLOW_VAR, False))
    images = dict((c, str(jaeger.get(k) or "")) for k, c in COMPONENTS)
    keys = dict((c, k) for k, c in COMPONENTS)
    query = images["jaeger-query"]
    query_version = tag_version(query)
    # jaegertracing/jaeger is the v2 image (v1 published per-component images); the others are v2 from tag 2.x.
    if image_repo(query) == "jaegertracing/jaeger" or (image_repo(query) in JAEGER_V2_REPOS and query_version and query_version[0] >= 2):
        errors.append(TracingError(
            "validate jaeger_production_query_image",
            "'%s' is a Jaeger v2 image; Jaeger v2 (2.6.0 and later) reads remote storage only over API v2"
            " (jaegertracing/jaeger #6969) and tempo-query serves only API v1 (no released Tempo serves v2,"
            " grafana/tempo PR #5155), so the UI would find no traces." % query,
            "set jaeger_production_query_image: %s (the pairing tested in %s)." % (TESTED_QUERY_IMAGE, OPERATOR_PAIRING)))
    for component in ("tempo", "tempo-query", "jaeger-query"):
        image = images[component]
        version = tag_version(image)
        if version is None:
            continue  # no version tag: the tag check of the preflight names it
        if component in ("tempo", "tempo-query") and version[0] >= TEMPO_MAX_MAJOR:
            errors.append(TracingError(
                "validate %s" % keys[component],
                "%s %d.%d is Tempo 3 or later: 3.0 removed -target=scalable-single-binary, runs more than one"
                " monolithic instance unsupported and needs Kafka for HA, which this role does not deploy." % (
                    component, version[0], version[1]),
                "use the 2.10 line (e.g. docker.io/grafana/%s:2.10.8, the default)." % component))
            continue
        if component == "jaeger-query" and version[0] >= 2:
            continue  # refused above
        ok, _entry, text = status(component, version, today)
        rows.append(dict(component=component, image=image, version="%d.%d.%d" % version, supported=ok, text=text))
        if ok:
            continue
        if allow:
            warnings.append("%s: %s; running it anyway because %s is true." % (keys[component], text, ALLOW_VAR))
        else:
            errors.append(TracingError(
                "validate %s" % keys[component],
                "'%s': %s, so it gets no bug or security fixes." % (image, text),
                "use the default (roles/jaeger_production/defaults/main.yml: the 2.10.8 / 2.10.8 / 1.68.0 triple),"
                " or set %s: true to run it with a warning." % ALLOW_VAR))
    return errors, warnings, rows
