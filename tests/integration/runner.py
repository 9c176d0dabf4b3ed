# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the integration tests: run ansible-playbook against the twin, read its counters.

* ``ROOT``, ``COLLECTIONS``, ``PYTHON`` (the venv's interpreter when there is one), ``PLAYBOOK_BIN``.
* ``ensure_collection_link()``: ``COLLECTIONS/ansible_collections/talos_homelab/tracing`` -> ``ROOT``.
* ``run_playbook(plays=None, playbook=None, ...)``: one ansible-playbook run (inline plays or a
  playbook path/FQCN) with extra vars, ``--check``/``--diff``/``-v``, extra arguments, environment
  (KUBECONFIG, ...), cwd and timeout; returns a ``PlaybookRun`` (``rc``, ``stdout``, ``stderr``,
  ``output``, ``recap`` counts of localhost, ``results``: the registered results named in ``dump``).
* ``run_module(module, args, ...)``: one task of ``module`` (``ignore_errors``), returns
  ``(result, output, rc)``.
* ``twin_stats(env, reset=False)``: the twin's request counters (``/_twin/stats``), reset first on demand.

What the test modules share (no test module imports another one, see tests/unit/test_harness_rules.py):

* the twin: ``twin_command(*args)`` / ``twin_cli(env, *args)`` (its CLI, the only one; conftest.py starts
  and stops twins with it), ``faults_on(env)`` / ``faults_off(env)``, ``k8s_get(env, path)``
  (``None`` on 404);
* playbooks, all through ``run_playbook``: ``run_role(env, role, vars, *args)`` (one role, the twin's
  kubeconfig as module default), ``run_play(env, tasks, ...)`` (tasks with the kubeconfig in the
  environment), ``run_task(env, module, args)`` (one collection module task, failures not ignored),
  ``run_site(env, *args, extra=...)`` (the site playbook with the example inventory),
  ``write_inventory(dir, all_vars)`` + ``run_site_inventory(inventory, *args)`` (the site playbook
  with nothing but a user's inventory), ``run_readiness(env, **args)`` + ``checks_by_id(result)``,
  ``claim_tasks()`` (the bucket claim of role ceph_bucket, waited for until Bound);
* reading a run's output: ``failure_messages(out)``, ``assert_clean_failure(out)``, ``readiness_score(out)``;
* S3: ``s3_client(env)``, ``lifecycle(env, bucket)`` (the bucket's rules, ``[]`` without any).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
VENV_PY = os.path.join(ROOT, ".venv", "bin", "python")
PYTHON = VENV_PY if os.path.exists(VENV_PY) else sys.executable
PLAYBOOK_BIN = os.path.join(os.path.dirname(PYTHON), "ansible-playbook")

# Plain, quiet output; the union of what the tests used to set one by one.
ANSIBLE_ENV = {
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_FORCE_COLOR": "0",
    "ANSIBLE_LOCALHOST_WARNING": "false",
    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    "ANSIBLE_RETRY_FILES_ENABLED": "false",
    "ANSIBLE_HOST_KEY_CHECKING": "false",
}
RECAP_RE = re.compile(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def ensure_collection_link():
    """Make the repository importable as talos_homelab.tracing under ``COLLECTIONS``."""
    link = os.path.join(COLLECTIONS, "ansible_collections", "talos_homelab", "tracing")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)


def parse_recap(output):
    """``{ok, changed, unreachable, failed}`` of localhost from the PLAY RECAP, ``{}`` without one."""
    match = RECAP_RE.search(output)
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups()))) if match else {}


class PlaybookRun(object):
    """The outcome of one ansible-playbook run."""

    def __init__(self, rc, stdout, stderr, results):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.output = stdout + stderr
        self.recap = parse_recap(self.output)
        self.results = results


def _dump_tasks(names, tmp, no_log):
    """Tasks that write each registered variable of ``names`` to ``tmp/result-NAME.json``."""
    tasks = []
    for name in names:
        task = {"name": "dump %s" % name, "ansible.builtin.copy": {"content": "{{ %s | to_json }}" % name,
                                                                   "dest": os.path.join(tmp, "result-%s.json" % name)},
                "check_mode": False, "diff": False}
        if no_log:
            task["no_log"] = True
        tasks.append(task)
    return tasks


def run_playbook(plays=None, playbook=None, extra_vars=None, check=False, diff=False, verbosity=0, args=(),
                 env=None, inventory=None, cwd=ROOT, timeout=300, dump=(), dump_no_log=False, collection=True):
    """Run ansible-playbook once and return a ``PlaybookRun``.

    ``plays``: a list of plays written to a temporary playbook; or ``playbook``: a path or FQCN.
    ``dump``: names registered by the (last) play's tasks; each is appended as a dump task and read
    back into ``results[name]`` (missing when the play stopped before it). ``inventory``: ``-i`` value
    (none: the implicit localhost). ``env`` is added to ``os.environ`` and ``ANSIBLE_ENV``;
    ``collection`` links this repository and sets ``ANSIBLE_COLLECTIONS_PATH``.
    """
    if (plays is None) == (playbook is None):
        raise ValueError("give either plays or playbook")
    run_env = dict(os.environ, **ANSIBLE_ENV)
    if collection:
        ensure_collection_link()
        run_env["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS
    run_env.update(env or {})
    with tempfile.TemporaryDirectory(prefix="it-play-") as tmp:
        if plays is not None:
            plays = [dict(play) for play in plays]
            if dump:
                plays[-1]["tasks"] = list(plays[-1].get("tasks", [])) + _dump_tasks(dump, tmp, dump_no_log)
            playbook = os.path.join(tmp, "play.yml")
            with open(playbook, "w") as f:
                json.dump(plays, f)
        cmd = [PLAYBOOK_BIN]
        if inventory is not None:
            cmd += ["-i", inventory]
        cmd.append(playbook)
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        cmd += list(args)
        proc = subprocess.run(cmd, cwd=cwd, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)
        results = {}
        for name in dump:
            path = os.path.join(tmp, "result-%s.json" % name)
            if os.path.exists(path):
                with open(path) as f:
                    results[name] = json.load(f)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, results)


def localhost_play(tasks, name="integration", interpreter=PYTHON, module_defaults=None):
    """A play on localhost (local connection, no facts) running ``tasks``."""
    play = {"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars": {"ansible_python_interpreter": interpreter}, "tasks": tasks}
    if module_defaults:
        play["module_defaults"] = module_defaults
    return play


def run_module(module, args, check=False, diff=False, verbosity=0, env=None, inventory="localhost,",
               interpreter=PYTHON, dump_no_log=False, timeout=300):
    """Run one task of ``module`` with ``args`` (errors ignored) through ansible-playbook.

    Returns ``(result, output, rc)``; ``result`` is the registered task result.
    """
    task = {"name": "module under test", module: args, "register": "r", "ignore_errors": True}
    run = run_playbook([localhost_play([task], interpreter=interpreter)], check=check, diff=diff, verbosity=verbosity,
                       env=env, inventory=inventory, timeout=timeout, dump=("r",), dump_no_log=dump_no_log)
    if "r" not in run.results:
        raise AssertionError("ansible-playbook produced no result (rc %s):\n%s" % (run.rc, run.output))
    return run.results["r"], run.output, run.rc


def twin_stats(env, reset=False):
    """The twin's request counters (what ``python -m tests.twin stats --env-file F [--reset]`` prints)."""
    path = "/_twin/stats/reset" if reset else "/_twin/stats"
    req = urllib.request.Request(env["TWIN_URL"] + path, data=b"{}" if reset else None, method="POST" if reset else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


# ---------------------------------------------------------------------- the twin
def twin_command(*args, timeout=240):
    """``python -m tests.twin ARGS`` from ``ROOT``; the ``CompletedProcess`` (not checked)."""
    return subprocess.run([sys.executable, "-m", "tests.twin"] + list(args), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


def twin_cli(env, *args, timeout=60, check=True):
    """``python -m tests.twin ARGS --env-file F`` of the twin ``env``; with ``check`` a failure raises."""
    proc = twin_command(*(list(args) + ["--env-file", env["env_file"]]), timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError("twin %s failed (rc %s):\n%s%s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


TRANSIENT_CODES = "500,503,409"


def faults_on(env, rate=0.1, codes=TRANSIENT_CODES):
    """Let the twin answer ``rate`` of the API requests with one of ``codes`` (comma-separated)."""
    snap = json.loads(twin_cli(env, "faults", "--rate", str(rate), "--codes", codes).stdout)
    assert snap["rate"] == rate and sorted(snap["codes"]) == sorted(int(c) for c in codes.split(",")), snap


def faults_off(env):
    assert json.loads(twin_cli(env, "faults", "--off").stdout)["rate"] == 0


def k8s_get(env, path):
    """GET ``path`` on the twin's API server with its ``kube`` client; ``None`` on 404."""
    from kubernetes.client.rest import ApiException

    try:
        return env["kube"].call_api(path, "GET", response_type="object", _return_http_data_only=True, auth_settings=["BearerToken"])
    except ApiException as err:
        if err.status == 404:
            return None
        raise


# ---------------------------------------------------------------------- playbooks against the twin
INVENTORY = os.path.join(ROOT, "examples", "inventory", "hosts.yml")


def twin_module_defaults(env):
    """The twin's kubeconfig for the kubernetes.core modules and the collection's modules."""
    return {"group/kubernetes.core.k8s": {"kubeconfig": env["KUBECONFIG"]},
            "group/talos_homelab.tracing.tracing": {"kubeconfig": env["KUBECONFIG"]}}


def run_role(env, role, role_vars=None, *args, timeout=900):
    """Run one role of the collection on localhost (kubeconfig as module default); ``(rc, recap, output)``."""
    play = localhost_play([], name="role under test", module_defaults=twin_module_defaults(env))
    play["roles"] = [{"role": "talos_homelab.tracing." + role, "vars": role_vars or {}}]
    run = run_playbook([play], args=args, timeout=timeout)
    return run.rc, run.recap, run.output


def run_task(env, module, args, timeout=300):
    """One task of the collection's ``module`` (failures not ignored); ``(rc, output)``."""
    play = localhost_play([{"name": "Run " + module, "talos_homelab.tracing." + module: args}], name="module under test",
                          module_defaults=twin_module_defaults(env))
    run = run_playbook([play], timeout=timeout)
    return run.rc, run.output


def run_play(env, tasks, extra_vars=None, check=False, diff=False, timeout=900, dump=()):
    """Run ``tasks`` in a localhost play with the twin's kubeconfig in the environment (KUBECONFIG,
    K8S_AUTH_KUBECONFIG); returns the ``PlaybookRun``."""
    kube = {"KUBECONFIG": env["KUBECONFIG"], "K8S_AUTH_KUBECONFIG": env["KUBECONFIG"]}
    return run_playbook([localhost_play(tasks)], extra_vars=extra_vars, check=check, diff=diff, inventory="localhost,",
                        env=kube, timeout=timeout, dump=dump)


def run_site(env, *args, extra=None, timeout=900):
    """Run talos_homelab.tracing.site with the example inventory against the twin; ``(rc, recap, output)``."""
    extra_vars = {"tracing_kubeconfig": env["KUBECONFIG"], "ceph_bucket_s3_endpoint": env["S3_ENDPOINT"]}
    extra_vars.update(extra or {})
    run = run_playbook(playbook="talos_homelab.tracing.site", inventory=INVENTORY, extra_vars=extra_vars, args=args, timeout=timeout)
    return run.rc, run.recap, run.output


def write_inventory(path, all_vars):
    """An inventory directory as a user writes it: ``hosts.yml`` (localhost) + ``group_vars/all.yml``."""
    import yaml

    path = str(path)
    os.makedirs(os.path.join(path, "group_vars"), exist_ok=True)
    hosts = {"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}
    with open(os.path.join(path, "hosts.yml"), "w") as f:
        f.write(yaml.safe_dump(hosts))
    with open(os.path.join(path, "group_vars", "all.yml"), "w") as f:
        f.write(yaml.safe_dump(all_vars))
    return path


def run_site_inventory(inventory, *args, timeout=900):
    """The site playbook with cluster access from ``inventory`` only (no KUBECONFIG / K8S_AUTH_* of the
    test's environment); the ``PlaybookRun``."""
    env = dict((k, "") for k in os.environ if k.startswith("K8S_AUTH_"))
    env["KUBECONFIG"] = "/nonexistent/kubeconfig"
    return run_playbook(playbook="talos_homelab.tracing.site", inventory=inventory, args=args, env=env, timeout=timeout)


def run_readiness(env, check=False, **args):
    """Run tracing_readiness with the twin's KUBECONFIG; returns (rc, registered result, output)."""
    result, output, rc = run_module("talos_homelab.tracing.tracing_readiness", args, check=check, env={"KUBECONFIG": env["KUBECONFIG"]},
                                    inventory=None, interpreter="{{ ansible_playbook_python }}")
    return rc, result, output


def checks_by_id(result):
    """The checks of a tracing_readiness result by id."""
    return dict((c["id"], c) for comp in result["components"].values() for c in comp["checks"])


def claim_tasks(namespace="jaeger", name="jaeger-traces", storage_class="rook-ceph-bucket"):
    """Tasks creating the bucket claim (what role ceph_bucket does) and waiting for Bound."""
    return [
        {"name": "claim", "kubernetes.core.k8s": {"definition": {
            "apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"bucketName": name, "storageClassName": storage_class}}}},
        {"name": "bound", "kubernetes.core.k8s_info": {"api_version": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim",
                                                       "namespace": namespace, "name": name},
         "register": "c", "retries": 60, "delay": 1,
         "until": "c.resources | length == 1 and (c.resources[0].status | default({})).phase | default('') == 'Bound'"},
    ]


# ---------------------------------------------------------------------- reading the output
FAILED_RE = re.compile(r"^(?:fatal: \[localhost\]: FAILED!|failed: \[localhost\] \(item=.*?\)) => (\{.*\})\s*$")


def failure_messages(out):
    """The ``msg`` of every failed task result (``fatal:`` or a failed loop item)."""
    msgs = []
    for line in out.splitlines():
        m = FAILED_RE.match(line)
        if m:
            try:
                msgs.append(str(json.loads(m.group(1)).get("msg", "")))
            except ValueError:
                msgs.append(m.group(1))
    return msgs


def assert_clean_failure(out):
    """A failed run must say which action failed (``Failed to <action>``), not dump internals; the last message."""
    assert "Traceback (most recent call last)" not in out, out[-6000:]
    assert "MODULE FAILURE" not in out, out[-6000:]
    assert "Error while evaluating conditional" not in out, out[-6000:]
    assert "conditional check" not in out.lower(), out[-6000:]
    msgs = failure_messages(out)
    assert msgs, "the run failed without a task failure message:\n" + out[-6000:]
    last = msgs[-1]
    assert re.search(r"Failed to [a-z]+", last), last
    # The task that failed is named right above its result.
    assert re.search(r"TASK \[[^\]]+\] \*+\n(?:.*\n)*?(?:fatal|failed): \[localhost\]", out)
    return last


def readiness_score(out):
    """The overall score of the last readiness report in the output."""
    scores = re.findall(r"overall (\d+)/100", out)
    assert scores, "no readiness report in the output"
    return int(scores[-1])


# ---------------------------------------------------------------------- S3
def s3_client(env):
    """A boto3 client on the twin's S3 endpoint with its admin keys (path-style)."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=env["S3_ENDPOINT"], aws_access_key_id=env["S3_ACCESS_KEY"],
                        aws_secret_access_key=env["S3_SECRET_KEY"], region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))


def lifecycle(env, bucket):
    """The lifecycle rules of ``bucket`` (``[]`` when it has no configuration)."""
    from botocore.exceptions import ClientError

    try:
        return s3_client(env).get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except ClientError as err:
        if err.response["Error"]["Code"] == "NoSuchLifecycleConfiguration":
            return []
        raise


def wait_for(predicate, timeout=45.0, interval=0.5):
    """The first truthy value of ``predicate()`` within ``timeout`` seconds, else its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


# ---------------------------------------------------------------------- what the collector roles render
# What each collector role renders: the ConfigMap's text and the objects k8s_apply receives.
COLLECTOR_RENDERED = {
    "agent": "{{ {'config': __otel_collector_config_yaml, 'objects': __otel_collector_all_objects} | to_json }}",
    "sampler": "{{ {'config': __tail_sampler_config_yaml, 'objects': __tail_sampler_objects} | to_json }}",
}


def render_collectors(agent_vars=None, sampler_vars=None, timeout=300):
    """The agents' and the samplers' objects as roles otel_collector and tail_sampler render them (their
    defaults/ and vars/, ``*_vars`` as task vars; one ansible-playbook run on localhost, no cluster):
    ``{"agent": {"config": <ConfigMap text>, "objects": [...]}, "sampler": {...}}``."""
    preflight = {"effective": {"otel_namespace_exists": True, "otel_sampler_namespace_missing": True,
                               "tail_sampler_namespace_missing": True}}
    role_of = {"agent": "otel_collector", "sampler": "tail_sampler"}
    with tempfile.TemporaryDirectory(prefix="it-render-") as tmp:
        plays = []
        for kind, values in (("agent", agent_vars), ("sampler", sampler_vars)):
            task = {"name": f"render {kind}", "vars": dict(values or {}),
                    "ansible.builtin.copy": {"dest": os.path.join(tmp, kind + ".json"), "content": COLLECTOR_RENDERED[kind]}}
            play = localhost_play([task], name=f"render {kind}")
            play["vars_files"] = [os.path.join(ROOT, "roles", role_of[kind], d, "main.yml") for d in ("defaults", "vars")]
            play["vars"]["__otel_collector_site_preflight"] = preflight
            play["vars"]["__tail_sampler_site_preflight"] = preflight
            plays.append(play)
        run = run_playbook(plays, timeout=timeout)
        out = {}
        for kind in ("agent", "sampler"):
            path = os.path.join(tmp, kind + ".json")
            if not os.path.exists(path):
                raise AssertionError(f"the {kind} was not rendered:\n{run.output[-3000:]}")
            with open(path) as fh:
                out[kind] = json.load(fh)
    return out


# ---------------------------------------------------------------------- the agents' trace path (issue 23)
def k8s_patch(env, path, patch):
    """JSON merge patch of ``path`` on the twin (what a user's ``kubectl patch --type merge`` sends)."""
    return env["kube"].call_api(path, "PATCH", body=patch, header_params={"Content-Type": "application/merge-patch+json"},
                                response_type="object", _return_http_data_only=True, auth_settings=["BearerToken"])


def seed_fixed_agents(env, namespace="opentelemetry", name="otel-collector-config"):
    """The seed's own fix on the before-state: the agents export OTLP to ``jaeger-collector.jaeger:4317``
    (the all-in-one serves it) instead of ``jaeger-collector.jaeger-system:14250``."""
    path = "/api/v1/namespaces/%s/configmaps/%s" % (namespace, name)
    text = k8s_get(env, path)["data"]["config.yaml"].replace("jaeger-collector.jaeger-system:14250", "jaeger-collector.jaeger:4317")
    k8s_patch(env, path, {"data": {"config.yaml": text}})
    assert trace_path(env)[0], trace_path(env)


def _agents_trace_targets(config):
    """``[(service, namespace)]`` the agents' traces pipeline exports to (OTLP endpoint or loadbalancing k8s resolver)."""
    targets = []
    pipelines = ((config.get("service") or {}).get("pipelines") or {})
    for pname, pipeline in pipelines.items():
        if pname.split("/")[0] != "traces":
            continue
        for exporter in pipeline.get("exporters") or []:
            conf = (config.get("exporters") or {}).get(exporter) or {}
            resolver = ((conf.get("resolver") or {}).get("k8s") or {}).get("service")
            host = resolver or str(conf.get("endpoint") or "").rsplit(":", 1)[0]
            parts = host.replace("http://", "").replace("https://", "").split(".")
            targets.append((parts[0], parts[1] if len(parts) > 1 else "default"))
    return targets


def trace_path(env, namespace="opentelemetry", name="otel-collector-config"):
    """``(ok, detail)``: every Service the agents' configuration exports traces to has a ready pod behind it."""
    import yaml

    cm = k8s_get(env, "/api/v1/namespaces/%s/configmaps/%s" % (namespace, name))
    if cm is None:
        return False, "no ConfigMap %s/%s" % (namespace, name)
    targets = _agents_trace_targets(yaml.safe_load(cm["data"]["config.yaml"]) or {})
    if not targets:
        return False, "%s: no traces exporter" % name
    details, ok = [], True
    for svc_name, svc_ns in targets:
        svc = k8s_get(env, "/api/v1/namespaces/%s/services/%s" % (svc_ns, svc_name))
        selector = ((svc or {}).get("spec") or {}).get("selector") or {}
        ready = 0
        if selector:
            for pod in k8s_get(env, "/api/v1/namespaces/%s/pods" % svc_ns)["items"]:
                labels = pod["metadata"].get("labels") or {}
                if pod["metadata"].get("deletionTimestamp") or any(labels.get(k) != v for k, v in selector.items()):
                    continue
                conds = (pod.get("status") or {}).get("conditions") or []
                ready += any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
        ok = ok and ready > 0
        details.append("%s -> %s/%s: %s" % (name, svc_ns, svc_name, "no Service" if svc is None else "%d ready pods" % ready))
    return ok, "; ".join(details)


class TracePathSampler(object):
    """Samples ``trace_path`` every ``interval`` seconds in a thread; ``seconds_without()`` sums the gaps."""

    def __init__(self, env, interval=0.2):
        import threading

        self.env, self.interval, self.samples = env, interval, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            t = time.monotonic()
            try:
                ok, detail = trace_path(self.env)
            except Exception as exc:  # a read refused under load counts as unknown, not as a gap
                ok, detail = None, "read failed: %s" % exc
            self.samples.append((t, ok, detail))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)

    def seconds_without(self):
        """Seconds between a sample without a path and the next sample, summed."""
        total = 0.0
        for (t, ok, _d), (t_next, _ok, _d2) in zip(self.samples, self.samples[1:]):
            if ok is False:
                total += t_next - t
        return total

    def gaps(self):
        """The distinct details seen while there was no path."""
        return sorted(set(d for _t, ok, d in self.samples if ok is False))
