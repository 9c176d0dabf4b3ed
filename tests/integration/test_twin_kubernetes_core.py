"""kubernetes.core.k8s (the real module, via ansible-playbook) against the twin's API server.

Acceptance criteria of issue 3 checked here: a playbook applying 20 mixed objects twice gives
``changed=0`` and zero counted writes on the second run; ``--check --diff`` persists nothing.
The server runs in-process (``serve(Store())``); a status thread stands in for the workload
controllers so that ``wait: true`` has something to wait for.
"""

import json
import os
import re
import sys
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from runner import PLAYBOOK_BIN, run_playbook  # noqa: E402
from tests.twin.store import Store  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

NAMESPACES = ["twin-a", "twin-b", "twin-c"]


def objects(image="nginx:1.27"):
    """20 mixed objects: 3 namespaces, 4 ConfigMaps, 3 Secrets, 3 Deployments, 2 DaemonSets,
    3 Services, a CRD and a CR of it."""
    out = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"team": "tracing"}}} for n in NAMESPACES]
    for i in range(4):
        out.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cm-{i}", "namespace": NAMESPACES[i % 3]},
                "data": {"key": f"value-{i}", "config.yaml": "a: 1\nb: [x, y]\n"},
            }
        )
    for i in range(3):
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": f"secret-{i}", "namespace": NAMESPACES[i]},
                "type": "Opaque",
                "stringData": {"password": f"pw-{i}"},
            }
        )
    for i in range(3):
        labels = {"app.kubernetes.io/name": f"web-{i}"}
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"web-{i}", "namespace": NAMESPACES[i], "labels": labels},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                {
                                    "name": "web",
                                    "image": image,
                                    "ports": [{"containerPort": 8080, "name": "http"}],
                                    "env": [{"name": "MODE", "value": "prod"}],
                                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                                }
                            ]
                        },
                    },
                },
            }
        )
    for i in range(2):
        labels = {"app.kubernetes.io/name": f"agent-{i}"}
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {"name": f"agent-{i}", "namespace": NAMESPACES[i]},
                "spec": {
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                {"name": "agent", "image": "otel/opentelemetry-collector-contrib:0.114.0", "args": ["--config=/conf/config.yaml"]}
                            ]
                        },
                    },
                },
            }
        )
    for i in range(3):
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"web-{i}", "namespace": NAMESPACES[i]},
                "spec": {"selector": {"app.kubernetes.io/name": f"web-{i}"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
            }
        )
    out.append(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "gadgets.example.io"},
            "spec": {
                "group": "example.io",
                "scope": "Namespaced",
                "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "subresources": {"status": {}},
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "properties": {
                                    "spec": {
                                        "type": "object",
                                        "properties": {"size": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}},
                                    },
                                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                },
                            }
                        },
                    }
                ],
            },
        }
    )
    out.append(
        {"apiVersion": "example.io/v1", "kind": "Gadget", "metadata": {"name": "g", "namespace": "twin-a"}, "spec": {"size": 3, "tags": ["a", "b"]}}
    )
    assert len(out) == 20
    return out


PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    objs: "{{ lookup('file', objects_file) | from_json }}"
  tasks:
    - name: apply 20 mixed objects
      kubernetes.core.k8s:
        state: present
        definition: "{{ objs }}"
    - name: wait for a Deployment and a DaemonSet to be ready
      kubernetes.core.k8s:
        state: present
        definition: "{{ item }}"
        wait: true
        wait_sleep: 1
        wait_timeout: 30
      loop:
        - "{{ objs | selectattr('kind', 'equalto', 'Deployment') | first }}"
        - "{{ objs | selectattr('kind', 'equalto', 'DaemonSet') | first }}"
      loop_control:
        label: "{{ item.kind }}/{{ item.metadata.name }}"
      when: do_wait | bool
"""


class StatusThread(threading.Thread):
    """Stand-in for the workload controllers: marks Deployments/DaemonSets ready."""

    def __init__(self, store):
        super().__init__(daemon=True)
        self.store, self.stop = store, threading.Event()

    def run(self):
        rev = 0
        while not self.stop.is_set():
            rev = self.store.wait_for_change(rev, 0.2)
            for d in self.store.list_kind("apps/v1", "Deployment"):
                n, g = d["spec"].get("replicas", 1), d["metadata"]["generation"]
                st = {"observedGeneration": g, "replicas": n, "readyReplicas": n, "availableReplicas": n, "updatedReplicas": n}
                self.store.set_status("apps/v1", "Deployment", d["metadata"]["namespace"], d["metadata"]["name"], st)
            for d in self.store.list_kind("apps/v1", "DaemonSet"):
                g = d["metadata"]["generation"]
                st = {
                    "observedGeneration": g,
                    "desiredNumberScheduled": 3,
                    "currentNumberScheduled": 3,
                    "numberReady": 3,
                    "updatedNumberScheduled": 3,
                    "numberAvailable": 3,
                    "numberMisscheduled": 0,
                }
                self.store.set_status("apps/v1", "DaemonSet", d["metadata"]["namespace"], d["metadata"]["name"], st)


@pytest.fixture
def twin(apiserver_factory):
    """The twin's API server alone (conftest ``apiserver_factory``), with the status thread above."""
    store = Store()
    srv = apiserver_factory(store)
    status = StatusThread(store)
    status.start()
    yield srv
    status.stop.set()


def kube_env(twin, tmp_path):
    """The twin's kubeconfig for kubernetes.core, its discovery cache (k8srcp-*.json) in ``tmp_path``."""
    return {"KUBECONFIG": twin.kubeconfig, "K8S_AUTH_KUBECONFIG": twin.kubeconfig, "TMPDIR": str(tmp_path)}


def apply_objects(twin, tmp_path, objs, *args, do_wait=True):
    (tmp_path / "objects.json").write_text(json.dumps(objs))
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    run = run_playbook(playbook=str(tmp_path / "site.yml"), inventory="localhost,", args=args, cwd=tmp_path, timeout=240,
                       extra_vars={"objects_file": str(tmp_path / "objects.json"), "do_wait": do_wait},
                       env=dict(kube_env(twin, tmp_path), ANSIBLE_DEPRECATION_WARNINGS="0"), collection=False)
    assert run.rc == 0, run.output
    assert run.recap, run.output
    return dict(run.recap, output=run.output)


def test_apply_twice_second_run_changes_nothing(twin, tmp_path):
    objs = objects()
    first = apply_objects(twin, tmp_path, objs)
    assert first["changed"] >= 1
    snap = twin.stats.snapshot()
    assert snap["writes"] >= 20 and snap["by_verb"].get("create") == 20, snap
    store = twin.store
    assert store.find("example.io/v1", "Gadget", "twin-a", "g")["spec"] == {"size": 3, "tags": ["a", "b"]}
    secret = store.find("v1", "Secret", "twin-b", "secret-1")
    assert secret["data"] == {"password": "cHctMQ=="} and "stringData" not in secret
    assert store.find("v1", "Service", "twin-c", "web-2")["spec"]["clusterIP"]

    twin.stats.reset()
    second = apply_objects(twin, tmp_path, objs)
    snap = twin.stats.snapshot()
    assert second["changed"] == 0, second["output"]
    assert snap["writes"] == 0, snap
    assert snap["noop_writes"] >= 20 and snap["reads"] >= 20  # kubernetes.core GETs and re-PATCHes every object
    assert snap["dry_run_writes"] == 0
    # the only refused write is kubernetes.core's strategic-merge attempt on the CR (415), after
    # which it falls back to a merge patch -- the same exchange as with a real API server
    failed = [(e["code"], e["resource"]) for e in twin.stats.log() if e["class"] == "failed_writes"]
    assert failed == [(415, "gadgets.example.io")], failed


def test_check_diff_on_fresh_store_persists_nothing(twin, tmp_path):
    # A dry-run create in a namespace that does not exist yet is a 404 on a real cluster too
    # (domain-facts section 8), and a CR cannot be dry-run before its CRD exists: the
    # namespaces and the CRD are put in place directly in the store, not through the API.
    objs = objects()
    store = twin.store
    ns_rt = store.registry.by_kind("v1", "Namespace")
    crd_rt = store.registry.by_kind("apiextensions.k8s.io/v1", "CustomResourceDefinition")
    for n in NAMESPACES:
        store.create(ns_rt, None, {"metadata": {"name": n}})
    store.create(crd_rt, None, objs[-2])
    rev = store.revision
    twin.stats.reset()
    result = apply_objects(twin, tmp_path, objs, "--check", "--diff", do_wait=False)
    snap = twin.stats.snapshot()
    assert result["changed"] == 1, result["output"]
    assert snap["writes"] == 0, snap
    assert snap["dry_run_writes"] >= 16, snap  # 16 creates and the namespace/CRD patches, all dryRun=All
    assert store.revision == rev
    assert store.find("v1", "ConfigMap", "twin-a", "cm-0") is None
    assert store.find("example.io/v1", "Gadget", "twin-a", "g") is None
    assert all(e["dry_run"] for e in twin.stats.log() if e["method"] in ("POST", "PATCH", "PUT", "DELETE"))


def test_check_diff_of_a_change_persists_nothing(twin, tmp_path):
    apply_objects(twin, tmp_path, objects(), do_wait=False)
    before = twin.store.find("apps/v1", "Deployment", "twin-a", "web-0")
    twin.stats.reset()
    result = apply_objects(twin, tmp_path, objects(image="nginx:1.28"), "--check", "--diff", "-v", do_wait=False)
    snap = twin.stats.snapshot()
    assert result["changed"] == 1, result["output"]
    # the module's result carries the server's dry-run answer for the changed Deployment
    assert re.search(r'"before":.*"nginx:1\.27".*"after":.*"nginx:1\.28"', result["output"], re.S), result["output"][-3000:]
    assert snap["writes"] == 0 and snap["dry_run_writes"] >= 20, snap
    after = twin.store.find("apps/v1", "Deployment", "twin-a", "web-0")
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]


SSA_PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    cm:
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: ssa, namespace: default}
      data: {a: "1"}
  tasks:
    - name: server-side apply creates the missing object
      kubernetes.core.k8s:
        definition: "{{ cm }}"
        apply: true
        server_side_apply: {field_manager: ansible, force_conflicts: true}
      register: first
    - name: the same apply again changes nothing
      kubernetes.core.k8s:
        definition: "{{ cm }}"
        apply: true
        server_side_apply: {field_manager: ansible}
      register: second
    - name: a changed field is applied
      kubernetes.core.k8s:
        definition: "{{ cm | combine({'data': {'a': '1', 'b': '2'}}) }}"
        apply: true
        server_side_apply: {field_manager: ansible}
      register: third
    - ansible.builtin.assert:
        that:
          - first is changed
          - second is not changed
          - third is changed
          - "third.result.data == {'a': '1', 'b': '2'}"
"""


def test_server_side_apply_through_kubernetes_core(twin, tmp_path):
    store = twin.store
    store.create(store.registry.by_kind("v1", "Namespace"), None, {"metadata": {"name": "default"}})
    (tmp_path / "ssa.yml").write_text(SSA_PLAYBOOK)
    run = run_playbook(playbook=str(tmp_path / "ssa.yml"), inventory="localhost,", cwd=tmp_path, timeout=240,
                       env=kube_env(twin, tmp_path), collection=False)
    assert run.rc == 0, run.output
    patches = [e for e in twin.stats.log() if e["method"] == "PATCH"]
    assert len(patches) == 3 and all("fieldManager=ansible" in e["query"] for e in patches)
    assert [(e["class"], e["code"]) for e in patches] == [("writes", 201), ("noop_writes", 200), ("writes", 200)]
    assert store.find("v1", "ConfigMap", "default", "ssa")["data"] == {"a": "1", "b": "2"}
