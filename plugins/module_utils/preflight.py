# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One preflight for the site playbook and the roles (pure, except ``read_cluster``).

``validate(site, ceph, jaeger, cluster)`` returns ``(errors, effective)``:

* ``errors``: one ``TracingError`` per problem ("Failed to <action>: <problem> Fix: <fix>"), in
  the order of the steps that would hit them;
* ``effective``: the values derived for the run (retention of the stack, of the bucket, Tempo's
  block_retention; the Rook version and where the lifecycle rule goes; the allowed OBC fields).

``site``, ``ceph`` and ``jaeger`` are the effective variables of the site playbook
(``retention_days``, ``bucket_retention_days``, ``storage_mode``, ``fail_under``: what the user
set, ``None`` when unset), of role ceph_bucket (``ceph_bucket_*``) and of role jaeger_production
(``jaeger_production_*``); a ``None`` section is not checked. ``cluster`` holds what
``read_cluster`` read (all reads, no write).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle import bucket_name_problem
from ansible_collections.talos_homelab.tracing.plugins.module_utils import support
from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling

STORAGE_MODES = ("tempo", "grpc-plugin")
DEFAULT_RETENTION_DAYS = 7
# Kubernetes object names: a DNS-1123 label for namespaces, a DNS-1123 subdomain for claims
# (k8s.io/apimachinery pkg/util/validation/validation.go).
_NS_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_DURATION_RE = re.compile(r"^[0-9]+(h|m|s)$")
# Rook: the bucket provisioner of a CephObjectStore is "<operator namespace>.ceph.rook.io/bucket"
# (rook pkg/operator/ceph/object/bucket/provisioner.go).
_ROOK_PROVISIONER_RE = re.compile(r"\.ceph\.rook\.io/bucket$")
_VERSION_TAG_RE = re.compile(r":v?([0-9]+\.[0-9]+(\.[0-9]+)?)(@.*)?$")
# Rook's default when ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS is unset (rook deploy/examples/operator.yaml).
ROOK_DEFAULT_ALLOWED_FIELDS = ("maxObjects", "maxSize")
ROOK_ALLOWED_FIELDS_KEY = "ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS"
# First Rook release that reconciles an OBC's additionalConfig.bucketLifecycle (docs/storage.md).
ROOK_LIFECYCLE_VERSION = (1, 17)
JAEGER_CRD = "jaegers.jaegertracing.io"
# Jaeger removed the sidecar plugin model in 1.58 and the grpc-plugin type in 1.60 (docs/storage.md 1).
GRPC_PLUGIN_MAX_VERSION = (1, 58)
# Where Tempo's WAL goes when jaeger_production_tempo_wal_storage_class is empty, in this order:
# the rook-ceph-cluster Helm chart's block class (rook deploy/charts/rook-ceph-cluster/values.yaml
# cephBlockPools[0].storageClass.name), the plain Rook examples' one (rook deploy/examples/csi/rbd/
# storageclass.yaml), then the cluster default (annotation of
# kubernetes.io/docs/concepts/storage/storage-classes, "Default StorageClass").
WAL_STORAGE_CLASSES = ("ceph-block", "rook-ceph-block")
DEFAULT_CLASS_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")
WAL_CLASS_VAR = "jaeger_production_tempo_wal_storage_class"
FORBIDDEN_IMAGES = ("jaegertracing/jaeger-s3",)

_JAEGER_FIX = "Fix: correct the variables listed in roles/jaeger_production/meta/argument_specs.yml."


def _int(value):
    """``value`` as an int when it is a whole number (int or digit string), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip() if value is not None else ""
    if re.match(r"^-?[0-9]+$", text):
        return int(text)
    return None


def _float(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _json(value):
    import json

    return json.dumps(value)


def version_tuple(text):
    """``"1.17.2"`` / ``"v1.17"`` -> ``(1, 17, 2)`` / ``(1, 17)``; ``None`` when not X.Y[.Z]."""
    match = re.match(r"^v?([0-9]+)\.([0-9]+)(?:\.([0-9]+))?$", str(text or ""))
    if not match:
        return None
    return tuple(int(x) for x in match.groups() if x is not None)


def image_tag(image):
    """The tag of an image reference (``""`` when it has none)."""
    name = str(image or "").split("@", 1)[0].split("/")[-1]
    return name.split(":")[-1] if ":" in name else ""


def image_repo(image):
    """The repository without registry docker.io and without tag/digest."""
    repo = str(image or "").split("@", 1)[0]
    repo = re.sub(r":[^/:]+$", "", repo)
    return re.sub(r"^(docker\.io/|index\.docker\.io/)", "", repo)


# ====================================================================== site
def effective_retention(site):
    """Derive the retention values of the run; returns ``(errors, effective)``.

    Semantics (README, "Retention"): ``tracing_retention_days`` is the retention of the stack
    (default 7). In storage mode tempo, Tempo's block_retention enforces it and the bucket
    lifecycle is a backstop, ``ceph_bucket_retention_days`` (default: one day longer); a backstop
    that is not longer would delete blocks Tempo still serves, so it is refused. In grpc-plugin
    mode the lifecycle is the retention: either variable sets it, and two different values are
    refused.
    """
    errors = []
    mode = site.get("storage_mode") or "tempo"
    raw = site.get("retention_days")
    raw_bucket = site.get("bucket_retention_days")
    days = _int(raw) if raw is not None else None
    bucket = _int(raw_bucket) if raw_bucket is not None else None
    fail_under = site.get("fail_under")
    fail_under_int = _int(fail_under) if fail_under is not None else 100
    bad = []
    if raw is not None and (days is None or days < 1):
        bad.append("tracing_retention_days must be a whole number of days >= 1 (got %s)" % _json(raw))
    if mode not in STORAGE_MODES:
        bad.append("tracing_storage_mode tempo or grpc-plugin (got %s)" % _json(mode))
    if fail_under_int is None or not 0 <= fail_under_int <= 100:
        bad.append("tracing_fail_under an integer 0-100 (got %s)" % _json(fail_under))
    if bad:
        errors.append(TracingError(
            "validate the site variables", "; ".join(bad) + ".",
            "e.g. tracing_retention_days: 7, tracing_storage_mode: tempo, tracing_fail_under: 100 in the inventory"
            " (examples/inventory/group_vars/all.yml)."))
    if raw_bucket is not None and (bucket is None or bucket < 1):
        errors.append(TracingError(
            "validate the site variables",
            "ceph_bucket_retention_days must be an integer >= 1 (got %s)." % _json(raw_bucket),
            "e.g. ceph_bucket_retention_days: 8, or leave it unset (the site derives it from tracing_retention_days)."))
    if errors:
        return errors, {}
    if mode == "tempo":
        retention = days if days is not None else DEFAULT_RETENTION_DAYS
        if bucket is not None and bucket <= retention:
            errors.append(TracingError(
                "validate the retention",
                "ceph_bucket_retention_days %d is not longer than tracing_retention_days %d in storage mode tempo:"
                " Tempo keeps blocks for %d days (block_retention) and the bucket lifecycle is a backstop behind it,"
                " so a lifecycle of %d days deletes blocks Tempo still serves (docs/storage.md section 4)."
                % (bucket, retention, retention, bucket),
                "set ceph_bucket_retention_days to at least %d, or leave it unset (the site uses %d)." % (
                    retention + 1, retention + 1)))
        bucket_days = bucket if bucket is not None else retention + 1
    else:
        if days is not None and bucket is not None and days != bucket:
            errors.append(TracingError(
                "validate the retention",
                "tracing_retention_days %d and ceph_bucket_retention_days %d contradict each other: in storage mode"
                " grpc-plugin the bucket lifecycle is the retention, so both name the same number of days."
                % (days, bucket),
                "set only tracing_retention_days (or give both the same value)."))
        retention = days if days is not None else (bucket if bucket is not None else DEFAULT_RETENTION_DAYS)
        bucket_days = retention
    if errors:
        return errors, {}
    return errors, dict(retention_days=retention, bucket_retention_days=bucket_days,
                        tempo_block_retention="%dh" % (retention * 24), storage_mode=mode)


# ====================================================================== ceph_bucket
def ceph_values_errors(ceph):
    """The role's own variables (no cluster needed)."""
    errors = []
    bucket = ceph.get("ceph_bucket_bucket_name")
    problem = bucket_name_problem(bucket)
    names_ok = (_NS_RE.match(str(ceph.get("ceph_bucket_namespace") or ""))
                and _SUBDOMAIN_RE.match(str(ceph.get("ceph_bucket_claim_name") or "")))
    if problem or not names_ok or not str(ceph.get("ceph_bucket_storage_class") or ""):
        details = []
        if problem:
            details.append("bucket name '%s' must follow S3 naming (3-63 characters of a-z, 0-9, '.', '-', starting and"
                           " ending with a letter or digit, no '..', not an IP address): %s" % (bucket, problem))
        if not names_ok:
            details.append("claim '%s' and namespace '%s' must be Kubernetes names (lowercase letters, digits and '-')"
                           % (ceph.get("ceph_bucket_claim_name"), ceph.get("ceph_bucket_namespace")))
        if not str(ceph.get("ceph_bucket_storage_class") or ""):
            details.append("the StorageClass (ceph_bucket_storage_class) must be set")
        errors.append(TracingError("validate ceph_bucket variables", "; ".join(details) + ".",
                                   "e.g. ceph_bucket_bucket_name: jaeger-traces, ceph_bucket_claim_name: jaeger-traces."))
    days = _int(ceph.get("ceph_bucket_retention_days"))
    abort = _int(ceph.get("ceph_bucket_abort_incomplete_multipart_days"))
    rule_id = str(ceph.get("ceph_bucket_lifecycle_rule_id") or "")
    if days is None or days < 1 or abort is None or abort < 0 or not 1 <= len(rule_id) <= 255:
        errors.append(TracingError(
            "validate ceph_bucket variables",
            "ceph_bucket_retention_days must be an integer >= 1 (got %s), ceph_bucket_abort_incomplete_multipart_days"
            " an integer >= 0 (got %s) and the rule ID 1-255 characters." % (
                _json(ceph.get("ceph_bucket_retention_days")), _json(ceph.get("ceph_bucket_abort_incomplete_multipart_days"))),
            "e.g. ceph_bucket_retention_days: 7."))
    extra = ceph.get("ceph_bucket_additional_config") or {}
    if not isinstance(extra, dict) or "bucketLifecycle" in extra or any(not isinstance(v, str) for v in extra.values()):
        errors.append(TracingError(
            "validate ceph_bucket_additional_config",
            "%s: values must be strings and bucketLifecycle is managed by this role." % _json(extra),
            "quote the values (maxSize: \"50Gi\") and set the retention with ceph_bucket_retention_days."))
    return errors


def rook_facts(ceph, cluster):
    """``(errors, facts)``: the Rook version, where the lifecycle goes, the allowed OBC fields."""
    errors = []
    ns = ceph.get("ceph_bucket_rook_namespace")
    deploy_name = ceph.get("ceph_bucket_rook_operator_deployment")
    config_name = ceph.get("ceph_bucket_rook_operator_config")
    pinned = str(ceph.get("ceph_bucket_rook_version") or "")
    if pinned:
        found = pinned[1:] if pinned.startswith("v") else pinned
        source = "ceph_bucket_rook_version %s is not X.Y[.Z]" % _json(pinned)
    else:
        deploy = cluster.get("rook_operator")
        image = ""
        if deploy:
            containers = ((((deploy.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or [{}])
            image = containers[0].get("image") or ""
        match = _VERSION_TAG_RE.search(image)
        found = match.group(1) if match else ""
        state = "was not found" if not deploy else "has image %s without a version tag" % image
        source = "Deployment %s/%s %s" % (ns, deploy_name, state)
    version = version_tuple(found)
    if version is None:
        errors.append(TracingError(
            "detect the Rook version", source + ".",
            "set ceph_bucket_rook_version (e.g. \"1.17\") or point ceph_bucket_rook_namespace /"
            " ceph_bucket_rook_operator_deployment at the operator."))
        return errors, {}
    data = ((cluster.get("rook_operator_config") or {}).get("data")) or {}
    raw_fields = data.get(ROOK_ALLOWED_FIELDS_KEY, ",".join(ROOK_DEFAULT_ALLOWED_FIELDS))
    allowed = [f.strip() for f in str(raw_fields).split(",") if f.strip()]
    in_claim = version[:2] >= ROOK_LIFECYCLE_VERSION
    facts = dict(rook_version=found, lifecycle_in_claim=in_claim, allowed_fields=allowed)
    bucket = ceph.get("ceph_bucket_bucket_name")
    if in_claim and "bucketLifecycle" not in allowed:
        errors.append(TracingError(
            "declare the lifecycle of bucket %s" % bucket,
            "Rook %s re-applies an ObjectBucketClaim's additionalConfig.bucketLifecycle on every reconcile and deletes"
            " lifecycle rules set over S3, so the rule must be declared in the claim, but %s in ConfigMap %s/%s is '%s'"
            " and Rook would fail the claim with 'OBC config \"bucketLifecycle\" is not allowed'." % (
                found, ROOK_ALLOWED_FIELDS_KEY, ns, config_name, ",".join(allowed)),
            "add bucketLifecycle to that list, e.g. kubectl -n %s patch configmap %s --type merge -p"
            " '{\"data\":{\"%s\":\"%s\"}}' (Helm: the rook-ceph chart value obcAllowAdditionalConfigFields), then run"
            " again." % (ns, config_name, ROOK_ALLOWED_FIELDS_KEY, ",".join(allowed + ["bucketLifecycle"]))))
    extra = ceph.get("ceph_bucket_additional_config") or {}
    if isinstance(extra, dict):
        refused = sorted(k for k in extra if k not in allowed and k != "bucketLifecycle")
        if refused:
            errors.append(TracingError(
                "claim bucket %s" % bucket,
                "additionalConfig keys %s are not in %s ('%s') of ConfigMap %s/%s, so Rook would fail the claim." % (
                    ", ".join(refused), ROOK_ALLOWED_FIELDS_KEY, ",".join(allowed), ns, config_name),
                "allow them there or remove them from ceph_bucket_additional_config."))
    return errors, facts


def storage_class_errors(ceph, cluster):
    name = ceph.get("ceph_bucket_storage_class")
    if not name:
        return []
    sc = cluster.get("storage_class")
    provisioner = (sc or {}).get("provisioner") or ""
    if sc and _ROOK_PROVISIONER_RE.search(provisioner):
        return []
    return [TracingError(
        "claim bucket %s" % ceph.get("ceph_bucket_bucket_name"),
        "StorageClass %s %s." % (name, "does not exist" if not sc else
                                 "has provisioner %s, not <rook-namespace>.ceph.rook.io/bucket" % provisioner),
        "create a bucket StorageClass for the CephObjectStore (Rook docs, ceph-object-bucket-claim) or set"
        " ceph_bucket_storage_class.")]


# ====================================================================== jaeger_production
def jaeger_images(jaeger):
    """The images the storage mode uses, ``[(variable, image)]`` (the plugin image apart)."""
    if jaeger.get("jaeger_production_storage_mode") == "grpc-plugin":
        keys = ("jaeger_production_collector_image", "jaeger_production_grpc_plugin_query_image")
    else:
        keys = ("jaeger_production_tempo_image", "jaeger_production_tempo_query_image", "jaeger_production_query_image")
    return [(k, str(jaeger.get(k) or "")) for k in keys]


def jaeger_values_errors(jaeger):
    errors = []
    mode = jaeger.get("jaeger_production_storage_mode")
    counts = dict((k, _int(jaeger.get("jaeger_production_%s_replicas" % k))) for k in ("tempo", "query", "collector"))
    factor = _int(jaeger.get("jaeger_production_tempo_replication_factor"))
    rate = _float(jaeger.get("jaeger_production_sampling_rate"))
    timeout = _int(jaeger.get("jaeger_production_wait_timeout"))
    block = str(jaeger.get("jaeger_production_tempo_block_retention") or "")
    ok = (mode in STORAGE_MODES and all(c is not None and c >= 1 for c in counts.values())
          and factor is not None and counts["tempo"] is not None and 1 <= factor <= counts["tempo"]
          and rate is not None and 0 < rate <= 1 and timeout is not None and timeout >= 0 and _DURATION_RE.match(block))
    if not ok:
        errors.append(TracingError(
            "validate jaeger_production settings",
            "storage_mode must be tempo or grpc-plugin (got %s); every replica count must be >= 1 (tempo %s, query %s,"
            " collector %s); the replication factor (%s) must be between 1 and the Tempo replicas; the sampling rate"
            " must satisfy 0 < rate <= 1 (got %s); block_retention must be a Go duration in h/m/s (got %s)." % (
                mode, jaeger.get("jaeger_production_tempo_replicas"), jaeger.get("jaeger_production_query_replicas"),
                jaeger.get("jaeger_production_collector_replicas"), jaeger.get("jaeger_production_tempo_replication_factor"),
                jaeger.get("jaeger_production_sampling_rate"), block),
            _JAEGER_FIX[len("Fix: "):]))
    for key, image in jaeger_images(jaeger):
        tag = image_tag(image)
        if not image or (not tag and "@" not in image) or tag == "latest":
            errors.append(TracingError(
                "validate %s" % key, "'%s' has no pinned tag or is tagged 'latest'." % image,
                "pin an explicit version tag (see the defaults in roles/jaeger_production/defaults/main.yml) or a digest."))
    plugin_image = str(jaeger.get("jaeger_production_grpc_plugin_image") or "")
    for key, image in jaeger_images(jaeger) + ([("jaeger_production_grpc_plugin_image", plugin_image)] if plugin_image else []):
        if image and image_repo(image) in FORBIDDEN_IMAGES:
            errors.append(TracingError(
                "validate %s" % key,
                "'%s' does not exist. Jaeger publishes no jaegertracing/jaeger-s3 image, and the jaeger-s3 project needs"
                " AWS Athena/Glue, so it cannot run on Ceph RGW." % image,
                "use the default storage mode 'tempo' (docs/storage.md), or name a storage plugin image you built."))
    size = str(jaeger.get("jaeger_production_tempo_wal_size") or "")
    if mode == "tempo" and not re.match(r"^[0-9]+(Mi|Gi|Ti)$", size):
        errors.append(TracingError(
            "validate jaeger_production_tempo_wal_size",
            "%s is not a size in Mi, Gi or Ti." % _json(jaeger.get("jaeger_production_tempo_wal_size")),
            "e.g. jaeger_production_tempo_wal_size: 10Gi (the tempo-operator default)."))
    if mode == "grpc-plugin":
        binary = str(jaeger.get("jaeger_production_grpc_plugin_binary") or "")
        tag = image_tag(plugin_image)
        if not plugin_image or not binary or (not tag and "@" not in plugin_image) or tag == "latest":
            errors.append(TracingError(
                "validate the grpc-plugin storage",
                "jaeger_production_grpc_plugin_image ('%s') and jaeger_production_grpc_plugin_binary ('%s') must both be"
                " set, and the image needs a pinned tag other than 'latest'. No official S3 storage plugin image exists."
                % (plugin_image, binary),
                "name the plugin image you built and the path of its binary under /plugin, or use storage mode 'tempo'."))
        for key, image in jaeger_images(jaeger):
            match = re.match(r"^v?([0-9]+)\.([0-9]+)", image_tag(image))
            if not match or (int(match.group(1)), int(match.group(2))) >= GRPC_PLUGIN_MAX_VERSION:
                errors.append(TracingError(
                    "validate %s" % key,
                    "'%s' cannot run storage type grpc-plugin. Jaeger removed the sidecar plugin model in 1.58 and the"
                    " grpc-plugin type in 1.60 (it crash-loops)." % image,
                    "use a Jaeger image with a version tag below %d.%d (for example 1.57.0), or the default storage mode"
                    " 'tempo' (docs/storage.md)." % GRPC_PLUGIN_MAX_VERSION))
    return errors


def is_default_class(sc):
    annotations = (sc.get("metadata") or {}).get("annotations") or {}
    return any(str(annotations.get(a, "")).lower() == "true" for a in DEFAULT_CLASS_ANNOTATIONS)


def wal_storage_class(jaeger, cluster):
    """``(errors, name)``: the StorageClass of Tempo's WAL claims (see WAL_STORAGE_CLASSES)."""
    classes = dict(((sc.get("metadata") or {}).get("name"), sc) for sc in cluster.get("storage_classes") or [])
    wanted = str(jaeger.get(WAL_CLASS_VAR) or "")
    fix = ("set %s to a block StorageClass of the cluster (kubectl get storageclass), or create Rook's block pool"
           " and StorageClass ceph-block (rook-ceph-cluster Helm chart, cephBlockPools)." % WAL_CLASS_VAR)
    if wanted:
        if wanted in classes:
            return [], wanted
        return [TracingError(
            "choose the StorageClass of Tempo's WAL", "%s is '%s', which does not exist (found: %s)." % (
                WAL_CLASS_VAR, wanted, ", ".join(sorted(n for n in classes if n)) or "none"), fix)], None
    for name in WAL_STORAGE_CLASSES:
        if name in classes:
            return [], name
    defaults = sorted(n for n, sc in classes.items() if n and is_default_class(sc))
    if len(defaults) >= 1:
        # More than one default: the API server's admission picks the newest; name the first, explicitly.
        return [], defaults[0]
    return [TracingError(
        "choose the StorageClass of Tempo's WAL",
        "no StorageClass %s exists and none is the cluster default (annotation %s), so Tempo's WAL claims would stay"
        " Pending and no Tempo pod would start (found: %s)." % (
            " or ".join(WAL_STORAGE_CLASSES), DEFAULT_CLASS_ANNOTATIONS[0],
            ", ".join(sorted(n for n in classes if n)) or "none"), fix)], None


WAL_CLAIM_TEMPLATE = "data"
WAL_ACCESS_MODES = ["ReadWriteOnce"]


def _claim_templates(templates):
    """The parts of volumeClaimTemplates this role sets: ``[(name, class, size, access modes)]``."""
    out = []
    for tpl in templates or []:
        spec = tpl.get("spec") or {}
        out.append((str((tpl.get("metadata") or {}).get("name") or ""), str(spec.get("storageClassName") or ""),
                    str(((spec.get("resources") or {}).get("requests") or {}).get("storage") or ""),
                    list(spec.get("accessModes") or [])))
    return out


def statefulset_replacement(jaeger, cluster, storage_class):
    """Why the live StatefulSet ``tempo`` must be deleted (Orphan) and recreated, or ``None``.

    An API server refuses any change of ``spec.volumeClaimTemplates`` in place
    (pkg/apis/apps/validation ValidateStatefulSetUpdate), so a StatefulSet whose templates differ
    from the wanted WAL claim is replaced; its pods keep running meanwhile and are adopted.
    """
    live = cluster.get("tempo_statefulset")
    if not live or not storage_class:
        return None
    want = [(WAL_CLAIM_TEMPLATE, storage_class, str(jaeger.get("jaeger_production_tempo_wal_size") or ""), WAL_ACCESS_MODES)]
    have = _claim_templates((live.get("spec") or {}).get("volumeClaimTemplates"))
    if have == want:
        return None

    def show(items):
        return ", ".join("%s %s on %s" % (n, size or "?", cls or "the default class") for n, cls, size, _m in items) or "none"

    meta = live.get("metadata") or {}
    return ("StatefulSet %s/%s has volumeClaimTemplates %s, wanted: %s" % (
        meta.get("namespace"), meta.get("name"), show(have), show(want)))


def jaeger_cluster_errors(jaeger, cluster):
    if jaeger.get("jaeger_production_storage_mode") == "tempo":
        return wal_storage_class(jaeger, cluster)[0]
    if jaeger.get("jaeger_production_storage_mode") != "grpc-plugin":
        return []
    crd, operator = cluster.get("jaeger_crd"), cluster.get("jaeger_operator")
    if crd and operator:
        return []
    return [TracingError(
        "find the Jaeger operator",
        "CRD %s %s, Deployment %s/%s %s. Storage mode grpc-plugin needs the Jaeger operator (and cert-manager >= 1.6.1)." % (
            JAEGER_CRD, "exists" if crd else "is missing", jaeger.get("jaeger_production_operator_namespace"),
            jaeger.get("jaeger_production_operator_name"), "exists" if operator else "is missing"),
        "install the Jaeger operator, set jaeger_production_operator_namespace/_name, or use storage mode 'tempo'.")]


# ====================================================================== together
def validate(site=None, ceph=None, jaeger=None, cluster=None, today=None, tail_sampler=None):
    """Every problem of the given sections; see the module docstring (tail_sampler: module_utils/sampling.py).

    ``today`` (ISO date, default the current date) is the day the support table is read for;
    ``effective`` gains ``warnings``, ``support`` (the table's verdict per image) and, in storage
    mode tempo, ``wal_storage_class``.
    """
    if today is None:
        import datetime

        today = datetime.date.today().isoformat()
    cluster = cluster or {}
    errors, effective = [], {}
    if site is not None:
        site_errors, effective = effective_retention(site)
        errors += site_errors
        if ceph is not None and effective:
            ceph = dict(ceph, ceph_bucket_retention_days=effective["bucket_retention_days"])
        if jaeger is not None and effective:
            jaeger = dict(jaeger, jaeger_production_storage_mode=effective["storage_mode"],
                          jaeger_production_tempo_block_retention=effective["tempo_block_retention"])
    if ceph is not None:
        errors += ceph_values_errors(ceph)
        errors += storage_class_errors(ceph, cluster)
        rook_errors, facts = rook_facts(ceph, cluster)
        errors += rook_errors
        effective.update(facts)
    if jaeger is not None:
        errors += jaeger_values_errors(jaeger)
        errors += jaeger_cluster_errors(jaeger, cluster)
        effective.setdefault("warnings", [])
        if jaeger.get("jaeger_production_storage_mode") == "tempo":
            support_errors, warnings, rows = support.assess(jaeger, today)
            errors += support_errors
            effective["warnings"] += warnings
            effective["support"] = rows
            effective["wal_storage_class"] = wal_storage_class(jaeger, cluster)[1]
            effective["tempo_statefulset_replace"] = statefulset_replacement(jaeger, cluster, effective["wal_storage_class"])
    if tail_sampler is not None:
        errors += sampling.values_errors(tail_sampler)
        if "tail_sampler_namespace" in cluster:
            effective["tail_sampler_namespace_missing"] = cluster["tail_sampler_namespace"] is None
    effective.update(cluster_facts(cluster))
    return errors, effective


def cluster_facts(cluster):
    """What the roles would otherwise read again themselves (see ``read_cluster``), for the roles' tasks."""
    out = {}
    if "otel_namespace" in cluster:
        daemonset = cluster.get("otel_daemonset")
        out["otel_namespace_exists"] = cluster["otel_namespace"] is not None
        out["otel_daemonset_selector"] = ((daemonset or {}).get("spec") or {}).get("selector") if daemonset else None
    if "otel_sampler_namespace" in cluster:
        out["otel_sampler_namespace_missing"] = cluster["otel_sampler_namespace"] is None
    if "ceph_namespace" in cluster:
        out["ceph_namespace_exists"] = cluster["ceph_namespace"] is not None
    if "jaeger_namespace" in cluster:
        out["jaeger_namespace_exists"] = cluster["jaeger_namespace"] is not None
        cr = cluster.get("jaeger_cr")
        # As kubernetes.core.k8s_info returns it: the spec is all the roles look at.
        out["jaeger_cr"] = [{"metadata": cr.get("metadata") or {}, "spec": cr.get("spec") or {}}] if cr else []
    return out


def message(errors, nothing_written):
    """One failure message for all problems. "Nothing was written" only when the caller knows it."""
    tail = (" Nothing was written." if nothing_written else
            " This preflight wrote nothing; earlier steps of the run may have.")
    if len(errors) == 1:
        return errors[0].message + tail
    return "Failed to validate the inputs of the run (%d problems): %s%s" % (
        len(errors), " ".join("%d) %s" % (i + 1, e.message) for i, e in enumerate(errors)), tail)


class _OnceReader(object):
    """``client`` whose ``get`` sends each path once per run (the sections share namespaces)."""

    def __init__(self, client):
        self._client = client
        self._seen = {}

    def get(self, *args, **kwargs):
        key = args + tuple(kwargs.get(k) for k in ("namespace",))
        if key not in self._seen:
            self._seen[key] = self._client.get(*args, **kwargs)
        return self._seen[key]

    def list(self, *args, **kwargs):
        return self._client.list(*args, **kwargs)


def read_otel(client, otel):
    """The collector's namespace, the DaemonSet it takes over and, in tail mode, the sampler namespace."""
    out = {}
    ns, name = str(otel.get("otel_collector_namespace") or ""), str(otel.get("otel_collector_name") or "")
    if not (_NS_RE.match(ns) and _NS_RE.match(name)):
        return out  # the role's own checks name the problem
    out["otel_namespace"] = client.get("v1", "namespaces", ns, action="read the collector namespace")
    out["otel_daemonset"] = (client.get("apps/v1", "daemonsets", name, ns, action="read the DaemonSet to take over")
                             if out["otel_namespace"] is not None else None)
    sampler_ns = str(otel.get("otel_collector_sampler_namespace") or "")
    if otel.get("otel_collector_sampling") == "tail" and sampler_ns != ns and _NS_RE.match(sampler_ns):
        out["otel_sampler_namespace"] = client.get("v1", "namespaces", sampler_ns, action="read the sampler namespace")
    return out


def read_cluster(client, ceph=None, jaeger=None, tail_sampler=None, otel=None):
    """Read what ``validate`` needs (GETs only; a missing object reads as ``None``).

    Also what the roles' tasks need (``cluster_facts``): the collector's namespace and DaemonSet, the
    claim's and Jaeger's namespaces and the Jaeger CR, so a run reads each of them once.
    """
    client = _OnceReader(client)
    out = {}
    if otel is not None:
        out.update(read_otel(client, otel))
    if tail_sampler is not None and _NS_RE.match(str(tail_sampler.get("tail_sampler_namespace") or "")):
        out["tail_sampler_namespace"] = client.get("v1", "namespaces", tail_sampler["tail_sampler_namespace"],
                                                   action="read the sampler namespace")
    if ceph is not None:
        if ceph.get("ceph_bucket_storage_class"):
            out["storage_class"] = client.get("storage.k8s.io/v1", "storageclasses", ceph["ceph_bucket_storage_class"],
                                              action="read the StorageClass")
        ns = ceph.get("ceph_bucket_rook_namespace")
        if not str(ceph.get("ceph_bucket_rook_version") or ""):
            out["rook_operator"] = client.get("apps/v1", "deployments", ceph.get("ceph_bucket_rook_operator_deployment"), ns,
                                              action="read the Rook operator Deployment")
        out["rook_operator_config"] = client.get("v1", "configmaps", ceph.get("ceph_bucket_rook_operator_config"), ns,
                                                 action="read the Rook operator settings")
        if _NS_RE.match(str(ceph.get("ceph_bucket_namespace") or "")):
            out["ceph_namespace"] = client.get("v1", "namespaces", ceph["ceph_bucket_namespace"],
                                               action="read the claim namespace")
    if jaeger is not None and _NS_RE.match(str(jaeger.get("jaeger_production_namespace") or "")):
        jns = jaeger["jaeger_production_namespace"]
        out["jaeger_namespace"] = client.get("v1", "namespaces", jns, action="read the Jaeger namespace")
        # The before-state's CR (storage mode tempo removes it; grpc-plugin patches it); 404 without the CRD.
        out["jaeger_cr"] = (client.get("jaegertracing.io/v1", "jaegers", jaeger.get("jaeger_production_name") or "jaeger", jns,
                                       action="read the Jaeger CR") if out["jaeger_namespace"] is not None else None)
    if jaeger is not None and jaeger.get("jaeger_production_storage_mode") == "tempo":
        out["storage_classes"] = client.list("storage.k8s.io/v1", "storageclasses", action="list the StorageClasses")
        out["tempo_statefulset"] = client.get("apps/v1", "statefulsets", "tempo", jaeger.get("jaeger_production_namespace"),
                                              action="read the StatefulSet tempo")
    if jaeger is not None and jaeger.get("jaeger_production_storage_mode") == "grpc-plugin":
        out["jaeger_crd"] = client.get("apiextensions.k8s.io/v1", "customresourcedefinitions", JAEGER_CRD,
                                       action="look for the Jaeger CRD")
        out["jaeger_operator"] = client.get("apps/v1", "deployments", jaeger.get("jaeger_production_operator_name"),
                                            jaeger.get("jaeger_production_operator_namespace"),
                                            action="look for the Jaeger operator Deployment")
    return out


def unreachable(err, params):
    """The failure of a first read that never reached the API server, naming the kubeconfig and the cause.

    The preflight's reads are the run's first requests, so they are also its probe of the cluster access
    (before this, the site playbook read namespace default with one more module run).
    """
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.k8s import resolve_kubeconfig

    cause = err.__context__ or err.__cause__
    path = resolve_kubeconfig(params) or "(host %s)" % params.get("host")
    context = (" (context %s)" % params["context"]) if params.get("context") else ""
    problem = err.problem + ((" %s" % str(cause)[:400].rstrip(".")) + "." if cause is not None else "")
    tail = " Nothing was written." if params.get("nothing_written") else ""
    return TracingError("reach the Kubernetes API with kubeconfig %s%s" % (path, context), problem + tail,
                        "check that the cluster is up and that the kubeconfig's server address, credentials and context"
                        " are right (kubectl cluster-info), then run again.")


def run(params, client_factory):
    """The module: read, validate, report. Returns ``(result, failure message or None)``."""
    site, ceph, jaeger = params.get("site"), params.get("ceph_bucket"), params.get("jaeger_production")
    tail = params.get("tail_sampler")
    otel = params.get("otel_collector")
    if site is not None and jaeger is not None:
        # The site passes its storage mode to step 4: check what step 4 will get.
        jaeger = dict(jaeger, jaeger_production_storage_mode=site.get("storage_mode") or "tempo")
    client = client_factory(params)
    try:
        cluster = read_cluster(client, ceph=ceph, jaeger=jaeger, tail_sampler=tail, otel=otel)
    except TracingError as err:
        raise unreachable(err, params) if getattr(err, "status", None) is None else err
    errors, effective = validate(site=site, ceph=ceph, jaeger=jaeger, cluster=cluster, tail_sampler=tail)
    result = dict(changed=False, effective=effective, errors=[e.message for e in errors],
                  api_requests=getattr(client, "requests", None))
    return result, (message(errors, params.get("nothing_written")) if errors else None)
