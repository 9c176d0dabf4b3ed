"""The API server's audit log (Talos' policy: one rule, level Metadata) records each request with
its user, verb and resource, and no request or response bodies: the counts that request counting
will read."""

from __future__ import annotations

import time

from kubernetes import client, config

from tests.twin.controlplane import audit

NS = "cp-audit"


def test_audit_log_counts_requests_by_verb_and_resource(controlplane):
    with config.new_client_from_config(config_file=controlplane.kubeconfig) as api:
        core = client.CoreV1Api(api)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
        for i in range(3):
            core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"cm{i}"), data={"k": "secret-value"}))
        core.read_namespaced_config_map("cm0", NS)
        core.list_namespaced_config_map(NS)
        core.patch_namespaced_config_map("cm1", NS, {"data": {"k": "v2"}})
        core.delete_namespaced_config_map("cm2", NS)
    wanted = {("create", "configmaps"): 3, ("get", "configmaps"): 1, ("list", "configmaps"): 1,
              ("patch", "configmaps"): 1, ("delete", "configmaps"): 1}
    deadline = time.monotonic() + 10
    while True:
        counts = audit.count(controlplane.audit_log, user="admin", namespace=NS)
        if all(counts[k] >= n for k, n in wanted.items()) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert {k: counts[k] for k in wanted} == wanted, counts
    mine = [e for e in audit.events(controlplane.audit_log) if e["user"]["username"] == "admin" and (e.get("objectRef") or {}).get("namespace") == NS]
    assert all(e["level"] == "Metadata" for e in mine)
    assert not any("requestObject" in e or "responseObject" in e for e in mine)
    assert "secret-value" not in open(controlplane.audit_log, encoding="utf-8").read()
    codes = {(e["verb"], e["responseStatus"]["code"]) for e in mine}
    assert ("create", 201) in codes and ("delete", 200) in codes
