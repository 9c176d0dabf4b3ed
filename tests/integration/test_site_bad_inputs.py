"""Bad inputs give a clear error and write nothing (issue 5, "Reliability, in tests").

Each row runs the smallest thing that exercises the input (one role, one module task, or the site
playbook, which validates its own variables and the cluster access before step 1) and asserts:
the run fails; the last failure message says what failed (``Failed to ...``), names the problem
and gives a fix; and the twin counted zero persisted writes (``writes``; check-mode previews are
``dry_run_writes`` and irrelevant here).

Two private twins serve all rows: a plain one (before-state, 1 node) and a special one
(``--no-jaeger-operator --obc-allowed-fields maxObjects,maxSize --no-block-storage-class``). Neither is converged: the rows
write nothing, which is the point.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml

from runner import PLAYBOOK_BIN, assert_clean_failure, failure_messages, k8s_get, lifecycle, run_role, run_site, run_task, twin_stats

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

GRPC_OK = {  # a grpc-plugin configuration that passes the variable checks
    "jaeger_production_storage_mode": "grpc-plugin",
    "jaeger_production_grpc_plugin_image": "registry.example.org/homelab/s3-plugin:1.0.0",
    "jaeger_production_grpc_plugin_binary": "/plugin/s3-plugin",
}
RULE = {"id": "jaeger-traces-retention", "expiration_days": 7}


def closed_port_kubeconfig(env: dict, tmp_path) -> str:
    """The twin's kubeconfig with the server moved to a port nothing listens on."""
    import socket

    with socket.socket() as s:  # a port that was free a moment ago and is closed now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = yaml.safe_load(open(env["KUBECONFIG"]))
    for cluster in cfg["clusters"]:
        cluster["cluster"]["server"] = f"http://127.0.0.1:{port}"
    path = tmp_path / "closed-port.kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


# (id, twin, how, target, input, needles naming the problem, needle naming the fix)
# how: role (one role of the collection), site (the site playbook), module (one module task).
CASES = [
    # --- role variables: otel_collector
    ("otel-sampling-over-100", "plain", "role", "otel_collector", {"otel_collector_sampling_percentage": 101},
     ["sampling percentage 101 must be 0-100"], "otel_collector_sampling_"),
    ("otel-sampling-negative", "plain", "role", "otel_collector", {"otel_collector_sampling_percentage": -5},
     ["sampling percentage -5 must be 0-100"], "otel_collector_sampling_"),
    # A value of the wrong type is refused by the role's argument spec (ansible-core's wording: it names
    # the variable and the type it must have; fix None marks these rows).
    ("otel-sampling-not-a-number", "plain", "role", "otel_collector", {"otel_collector_sampling_percentage": "abc"},
     ["argument 'otel_collector_sampling_percentage'", "to float"], None),
    ("otel-image-latest", "plain", "role", "otel_collector", {"otel_collector_image": "otel/opentelemetry-collector-contrib:latest"},
     ["other than 'latest'"], "otel/opentelemetry-collector-contrib:0.159.0"),
    # a release without a configuration profile (issue 21): the role's preflight, then the site's, before step 1
    ("otel-image-without-profile", "plain", "role", "otel_collector", {"otel_collector_image": "otel/opentelemetry-collector-contrib:0.130.0"},
     ["otel_collector_image 'otel/opentelemetry-collector-contrib:0.130.0' has version 0.130.0",
      "no configuration profile; supported: 0.114.0, 0.159.0"], "Fix: set otel_collector_image to a supported release"),
    ("site-otel-image-without-profile", "plain", "site", None, {"otel_collector_image": "otel/opentelemetry-collector-contrib:0.130.0"},
     ["has version 0.130.0", "supported: 0.114.0, 0.159.0"], "Fix: set otel_collector_image to a supported release"),
    # --- role variables: ceph_bucket
    ("ceph-retention-0", "plain", "role", "ceph_bucket", {"ceph_bucket_retention_days": 0},
     ["ceph_bucket_retention_days must be an integer >= 1", "(got 0)"], "ceph_bucket_retention_days: 7"),
    ("ceph-retention-negative", "plain", "role", "ceph_bucket", {"ceph_bucket_retention_days": -1},
     ["ceph_bucket_retention_days must be an integer >= 1", "(got -1)"], "ceph_bucket_retention_days: 7"),
    ("ceph-retention-not-a-number", "plain", "role", "ceph_bucket", {"ceph_bucket_retention_days": "abc"},
     ["argument 'ceph_bucket_retention_days'", "to int"], None),
    ("ceph-bucket-uppercase", "plain", "role", "ceph_bucket", {"ceph_bucket_bucket_name": "Jaeger-Traces"},
     ["bucket name 'Jaeger-Traces' must follow S3 naming"], "ceph_bucket_bucket_name: jaeger-traces"),
    ("ceph-bucket-too-short", "plain", "role", "ceph_bucket", {"ceph_bucket_bucket_name": "jt"},
     ["bucket name 'jt' must follow S3 naming", "3-63 characters"], "ceph_bucket_bucket_name: jaeger-traces"),
    ("ceph-bucket-ip-like", "plain", "role", "ceph_bucket", {"ceph_bucket_bucket_name": "192.168.10.20"},
     ["bucket name '192.168.10.20' must follow S3 naming", "not an IP address"], "ceph_bucket_bucket_name: jaeger-traces"),
    ("ceph-storage-class-without-rook-provisioner", "plain", "role", "ceph_bucket", {"ceph_bucket_storage_class": "no-provisioner"},
     ["StorageClass no-provisioner", "has provisioner example.com/none"], "create a bucket StorageClass"),
    # --- role variables: jaeger_production
    ("jaeger-tempo-replicas-0", "plain", "role", "jaeger_production", {"jaeger_production_tempo_replicas": 0},
     ["every replica count must be >= 1", "tempo 0"], "Fix: correct the variables"),
    ("jaeger-query-replicas-0", "plain", "role", "jaeger_production", {"jaeger_production_query_replicas": 0},
     ["every replica count must be >= 1", "query 0"], "Fix: correct the variables"),
    ("jaeger-sampling-rate-0", "plain", "role", "jaeger_production", {"jaeger_production_sampling_rate": 0},
     ["sampling rate must satisfy 0 < rate <= 1 (got 0)"], "Fix: correct the variables"),
    ("jaeger-sampling-rate-over-1", "plain", "role", "jaeger_production", {"jaeger_production_sampling_rate": 1.5},
     ["sampling rate must satisfy 0 < rate <= 1 (got 1.5)"], "Fix: correct the variables"),
    ("jaeger-tempo-image-latest", "plain", "role", "jaeger_production", {"jaeger_production_tempo_image": "grafana/tempo:latest"},
     ["jaeger_production_tempo_image", "tagged 'latest'"], "pin an explicit version tag"),
    ("jaeger-s3-image", "plain", "role", "jaeger_production",
     {**GRPC_OK, "jaeger_production_grpc_plugin_image": "jaegertracing/jaeger-s3:1.0.0"},
     ["jaegertracing/jaeger-s3"], "Fix: use the default storage mode 'tempo'"),
    ("grpc-plugin-with-jaeger-1.65", "plain", "role", "jaeger_production",
     {**GRPC_OK, "jaeger_production_collector_image": "jaegertracing/jaeger-collector:1.65.0"},
     ["jaegertracing/jaeger-collector:1.65.0' cannot run storage type grpc-plugin"], "below 1.58"),
    ("grpc-plugin-without-plugin-image", "plain", "role", "jaeger_production",
     {"jaeger_production_storage_mode": "grpc-plugin"},
     ["jaeger_production_grpc_plugin_image", "must both be set", "No official S3 storage plugin image"],
     "name the plugin image you built"),
    # --- site variables (validated before step 1)
    ("site-retention-not-a-number", "plain", "site", None, {"tracing_retention_days": "abc"},
     ["tracing_retention_days must be a whole number of days >= 1", 'got "abc"'], "tracing_retention_days: 7"),
    ("site-retention-0", "plain", "site", None, {"tracing_retention_days": 0},
     ["tracing_retention_days must be a whole number of days >= 1"], "tracing_retention_days: 7"),
    ("site-unknown-storage-mode", "plain", "site", None, {"tracing_storage_mode": "elasticsearch"},
     ["tracing_storage_mode tempo or grpc-plugin", 'got "elasticsearch"'], "Fix:"),
    # --- the site playbook's one preflight (issue 9): every step's inputs and the cluster, before step 1
    ("site-bucket-name-underscore", "plain", "site", None, {"ceph_bucket_bucket_name": "Jaeger_Traces"},
     ["bucket name 'Jaeger_Traces' must follow S3 naming", "Nothing was written"], "ceph_bucket_bucket_name: jaeger-traces"),
    ("site-storage-class-missing", "plain", "site", None, {"ceph_bucket_storage_class": "no-such-class"},
     ["StorageClass no-such-class does not exist", "Nothing was written"], "create a bucket StorageClass"),
    ("site-jaeger-replicas-0", "plain", "site", None, {"jaeger_production_query_replicas": 0},
     ["every replica count must be >= 1", "query 0", "Nothing was written"], "Fix: correct the variables"),
    ("site-jaeger-image-latest", "plain", "site", None, {"jaeger_production_tempo_image": "grafana/tempo:latest"},
     ["jaeger_production_tempo_image", "tagged 'latest'", "Nothing was written"], "pin an explicit version tag"),
    ("site-grpc-plugin-without-plugin-image", "plain", "site", None, {"tracing_storage_mode": "grpc-plugin"},
     ["jaeger_production_grpc_plugin_image", "must both be set", "Nothing was written"], "name the plugin image you built"),
    ("site-bucket-backstop-not-longer", "plain", "site", None, {"tracing_retention_days": 7, "ceph_bucket_retention_days": 5},
     ["ceph_bucket_retention_days 5 is not longer than tracing_retention_days 7", "Nothing was written"],
     "set ceph_bucket_retention_days to at least 8"),
    ("site-grpc-retention-contradiction", "plain", "site", None,
     {"tracing_storage_mode": "grpc-plugin", "tracing_retention_days": 7, "ceph_bucket_retention_days": 9,
      **{k: v for k, v in GRPC_OK.items() if k != "jaeger_production_storage_mode"}},
     ["tracing_retention_days 7 and ceph_bucket_retention_days 9 contradict each other", "Nothing was written"],
     "set only tracing_retention_days"),
    ("site-fail-under-over-100", "plain", "site", None, {"tracing_fail_under": 101},
     ["tracing_fail_under an integer 0-100", "got 101"], "Fix:"),
    ("site-grpc-plugin-without-operator", "special", "site", None,
     {"tracing_storage_mode": "grpc-plugin", **{k: v for k, v in GRPC_OK.items() if k != "jaeger_production_storage_mode"}},
     ["Failed to find the Jaeger operator", "CRD jaegers.jaegertracing.io is missing", "Nothing was written"],
     "install the Jaeger operator"),
    ("site-rook-disallows-bucket-lifecycle", "special", "site", None, {},
     ["ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS", "'maxObjects,maxSize'", "Nothing was written"],
     "kubectl -n rook-ceph patch configmap rook-ceph-operator-config"),
    # --- module parameters
    ("lifecycle-duplicate-rule-ids", "plain", "module", "ceph_bucket_lifecycle",
     {"bucket": "jaeger-traces", "rules": [RULE, dict(RULE, expiration_days=8)]},
     ["the id 'jaeger-traces-retention' is used twice"], "give each rule its own id"),
    ("lifecycle-rule-id-over-255", "plain", "module", "ceph_bucket_lifecycle",
     {"bucket": "jaeger-traces", "rules": [dict(RULE, id="r" * 256)]},
     ["the id is 256 characters long", "255"], "shorten the id"),
    ("storage-secret-missing-claim", "plain", "module", "jaeger_storage_secret",
     {"claim_name": "no-such-claim", "claim_namespace": "jaeger", "namespace": "jaeger", "wait_timeout": 2},
     ["no-such-claim", "the claim does not exist"], "create it first"),
    ("storage-secret-claim-stuck-pending", "plain", "module", "jaeger_storage_secret",
     {"claim_name": "stuck", "claim_namespace": "pending", "namespace": "pending", "wait_timeout": 3},
     ["the claim is still Pending after 3s"], "or raise wait_timeout"),
    ("storage-secret-missing-kubeconfig", "plain", "module", "jaeger_storage_secret",
     {"claim_name": "jaeger-traces", "claim_namespace": "jaeger", "namespace": "jaeger", "kubeconfig": "/nonexistent/kubeconfig"},
     ["no kubeconfig file at /nonexistent/kubeconfig"], "talosctl kubeconfig"),
    # --- cluster access (site playbook)
    ("site-kubeconfig-missing", "plain", "site", None, {"tracing_kubeconfig": "/nonexistent/talos/kubeconfig"},
     ["Failed to load the kubeconfig", "/nonexistent/talos/kubeconfig"], "Fix: point tracing_kubeconfig"),
    ("site-api-unreachable", "plain", "site", None, {"tracing_kubeconfig": "<closed-port>"},
     ["Failed to reach the Kubernetes API", "Connection refused"], "kubectl cluster-info"),
    # --- versions and storage of Tempo (issue 11; the support table in plugins/module_utils/support.py)
    ("site-tempo-past-end-of-support", "plain", "site", None, {"jaeger_production_tempo_image": "docker.io/grafana/tempo:2.6.1"},
     ["Failed to validate jaeger_production_tempo_image", "tempo 2.6 is past end of support", "older than 2.7"],
     "jaeger_production_allow_unsupported: true"),
    ("site-tempo-3-needs-kafka", "plain", "site", None,
     {"jaeger_production_tempo_image": "docker.io/grafana/tempo:3.0.0", "jaeger_production_allow_unsupported": True},
     ["tempo 3.0 is Tempo 3 or later", "needs Kafka for HA"], "use the 2.10 line"),
    ("site-jaeger-v2-query-with-tempo-query", "plain", "site", None,
     {"jaeger_production_query_image": "docker.io/jaegertracing/jaeger:2.10.0"},
     ["is a Jaeger v2 image", "API v2", "tempo-query serves only API v1"], "jaegertracing/jaeger-query:1.68.0"),
    ("site-no-block-storage-class", "special", "site", None, {},
     ["Failed to choose the StorageClass of Tempo's WAL", "no StorageClass ceph-block or rook-ceph-block exists",
      "none is the cluster default", "Nothing was written"],
     "Fix: set jaeger_production_tempo_wal_storage_class"),
    # --- cluster shape (special twin)
    ("jaeger-operator-missing", "special", "role", "jaeger_production", GRPC_OK,
     ["Failed to find the Jaeger operator", "CRD jaegers.jaegertracing.io is missing"], "install the Jaeger operator"),
    ("rook-disallows-bucket-lifecycle", "special", "role", "ceph_bucket", {},
     ["ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS", "'maxObjects,maxSize'", "Nothing was written"],
     "kubectl -n rook-ceph patch configmap rook-ceph-operator-config"),
]


@pytest.fixture(scope="module")
def twins(module_twin_factory):
    started = {}
    plain = started["plain"] = module_twin_factory(before_state=True, nodes=1)
    # A claim no provisioner serves, in its own namespace: it stays Pending.
    kube = plain["kube"]

    def post(path, body):
        return kube.call_api(path, "POST", body=body, response_type="object", _return_http_data_only=True, auth_settings=["BearerToken"])

    post("/apis/storage.k8s.io/v1/storageclasses", {
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "no-provisioner"},
        "provisioner": "example.com/none"})
    post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pending"}})
    post("/apis/objectbucket.io/v1alpha1/namespaces/pending/objectbucketclaims", {
        "apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim",
        "metadata": {"name": "stuck", "namespace": "pending"},
        "spec": {"bucketName": "stuck-bucket", "storageClassName": "no-provisioner"}})
    started["special"] = module_twin_factory(nodes=1, no_jaeger_operator=True, obc_allowed_fields="maxObjects,maxSize",
                                             no_block_storage_class=True)
    return started


def test_table_has_enough_rows():
    assert len(CASES) >= 20
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case_id, which, how, target, given, problem, fix", CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_clearly_and_writes_nothing(twins, tmp_path, case_id, which, how, target, given, problem, fix):
    env = twins[which]
    given = dict(given)
    if given.get("tracing_kubeconfig") == "<closed-port>":
        given["tracing_kubeconfig"] = closed_port_kubeconfig(env, tmp_path)
    twin_stats(env, reset=True)
    if how == "role":
        # Connection settings as the site playbook passes them.
        conn = {"ceph_bucket": {"ceph_bucket_s3_endpoint": env["S3_ENDPOINT"]},
                "jaeger_production": {"jaeger_production_kubeconfig": env["KUBECONFIG"]}}.get(target, {})
        rc, _recap, out = run_role(env, target, dict(conn, **given))
    elif how == "site":
        rc, _recap, out = run_site(env, extra=given, timeout=300)
    else:
        rc, out = run_task(env, target, given)
    assert rc != 0, out[-4000:]
    if fix is None:  # refused by the role's argument spec before any task ran
        assert "Traceback (most recent call last)" not in out
        msg = failure_messages(out)[-1]
        assert msg.startswith("Validation of arguments failed"), msg
    else:
        msg = assert_clean_failure(out)
        assert "Fix:" in msg, msg
        assert fix in msg, f"{fix!r} not in: {msg}"
    for needle in problem:
        assert needle in msg, f"{needle!r} not in: {msg}"
    counted = twin_stats(env)
    assert counted["writes"] == 0, counted


def test_wrong_rgw_secret_key_fails_clearly_and_changes_no_rule(twins):
    env = twins["plain"]
    before = lifecycle(env, "loki-chunks")
    assert before, "the Loki bucket's rule exists to be kept"
    twin_stats(env, reset=True)
    rc, out = run_task(env, "ceph_bucket_lifecycle", {
        "bucket": "loki-chunks", "endpoint_url": env["S3_ENDPOINT"], "access_key": env["S3_ACCESS_KEY"],
        "secret_key": "not-the-secret-key-" + "x" * 21, "rules": [RULE], "state": "present"})
    assert rc != 0
    msg = assert_clean_failure(out)
    assert "SignatureDoesNotMatch" in msg and "secret key does not match the access key" in msg, msg
    assert "use the AWS_SECRET_ACCESS_KEY that belongs to the access key" in msg, msg
    assert env["S3_SECRET_KEY"] not in out
    assert twin_stats(env)["writes"] == 0
    assert lifecycle(env, "loki-chunks") == before


def test_pending_claim_left_as_it_was(twins):
    """The rows above must not have touched the stuck claim or created the storage Secret."""
    env = twins["plain"]
    claim = k8s_get(env, "/apis/objectbucket.io/v1alpha1/namespaces/pending/objectbucketclaims/stuck")
    assert (claim.get("status") or {}).get("phase", "Pending") == "Pending"
    assert k8s_get(env, "/api/v1/namespaces/pending/secrets/jaeger-storage") is None
    assert k8s_get(env, "/api/v1/namespaces/jaeger") is not None  # before-state namespace still there
    # The before-state Jaeger CR (all-in-one, in-memory) is untouched: the jaeger_production rows wrote nothing.
    cr = k8s_get(env, "/apis/jaegertracing.io/v1/namespaces/jaeger/jaegers/jaeger")
    assert cr["spec"]["strategy"].lower() == "allinone", json.dumps(cr["spec"])
