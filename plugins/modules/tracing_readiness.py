#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: tracing_readiness
short_description: Score how production-ready a Kubernetes tracing stack is
version_added: 0.1.0
description:
  - Read-only assessment of the tracing stack of a Talos homelab from live cluster state and the trace bucket,
    in three components, OpenTelemetry Collector, Jaeger (or Tempo behind Jaeger's Service and UI) and the Ceph S3 storage.
  - Every check has an id, a title, a component, a weight, a severity (V(danger) or V(warning)), whether it passed,
    the evidence it saw and the fix.
  - "Scoring: a check's points are its weight, doubled for V(danger) (as Polaris counts danger double). A component's
    score is 100 * points passed / points total, rounded. A component is V(PRODUCTION-READY) when its score is at least 90
    and none of its V(danger) checks fails. The overall score is the rounded mean of the component scores; the overall
    verdict is V(PRODUCTION-READY) only when every component is."
  - The number of Kubernetes API requests does not depend on the number of nodes (one list per kind and namespace,
    with label selectors), plus two S3 requests (head bucket, get lifecycle) with the claim's credentials.
  - Secret values are never returned; only key names are read into the assessment.
  - The module changes nothing in the cluster. It reports C(changed=true) only when it (re)writes O(report_path).
author:
  - talos_homelab.tracing contributors (@talos-homelab)
extends_documentation_fragment:
  - talos_homelab.tracing.k8s_auth
options:
  otel_namespace:
    description: Namespace of the OpenTelemetry Collector.
    type: str
    default: opentelemetry
  otel_name:
    description: Name of the collector DaemonSet (a Deployment of that name is reported as the wrong mode).
    type: str
    default: otel-collector
  jaeger_namespace:
    description: Namespace of Jaeger (Jaeger CR, or Tempo and the jaeger-query Deployment).
    type: str
    default: jaeger
  storage_mode:
    description:
      - Which Jaeger deployment to check.
      - V(tempo) is Tempo (StatefulSet C(tempo), ConfigMap C(tempo)) behind Service C(jaeger-collector) with a
        C(jaeger-query) Deployment that reads Tempo through a C(tempo-query) sidecar.
      - V(grpc-plugin) is the Jaeger operator's Jaeger CR (any strategy and storage type).
      - V(auto) picks V(tempo) when the Tempo StatefulSet or ConfigMap exists, else V(grpc-plugin) when a Jaeger CR exists,
        else V(tempo).
    type: str
    choices: [auto, tempo, grpc-plugin]
    default: auto
  claim_name:
    description: ObjectBucketClaim of the trace bucket; its Secret and ConfigMap give the S3 credentials.
    type: str
    default: jaeger-traces
  claim_namespace:
    description: Namespace of the claim. Defaults to O(jaeger_namespace).
    type: str
  retention_days:
    description: Days traces must be kept; the bucket lifecycle rule must expire after exactly this many days.
    type: int
    default: 7
  s3_endpoint_url:
    description:
      - S3 endpoint used instead of the claim's in-cluster C(BUCKET_HOST:BUCKET_PORT), which the controller
        usually cannot resolve.
    type: str
  s3_validate_certs:
    description: Whether to verify the S3 endpoint's TLS certificate.
    type: bool
    default: true
  report_path:
    description:
      - Write the Markdown report to this file, only when its content differs.
      - Nothing is written in check mode; the module then reports whether it would write.
    type: path
  fail_under:
    description:
      - Fail the task when the overall score is below this value. The failed result still holds the report and checks.
    type: int
  grafana_datasource:
    description:
      - Also check the Grafana Tempo data source ConfigMap C(tracing-tempo-datasource) in O(grafana_namespace)
        (role jaeger_production with C(jaeger_production_grafana_datasource=true)).
    type: bool
    default: false
  grafana_namespace:
    description: Namespace of the Grafana data source ConfigMap.
    type: str
    default: monitoring
  otel_otlp_grpc_port:
    description: Port the collector's OTLP gRPC receiver must bind on all interfaces (role otel_collector, C(otel_collector_otlp_grpc_port)).
    type: int
    default: 4317
  otel_otlp_http_port:
    description: Port the collector's OTLP HTTP receiver must bind on all interfaces (role otel_collector, C(otel_collector_otlp_http_port)).
    type: int
    default: 4318
  jaeger_name:
    description: Name of the Jaeger CR checked in operator mode (role jaeger_production, C(jaeger_production_name)); else the first CR.
    type: str
    default: jaeger
  tempo_name:
    description: Name of Tempo's StatefulSet, ConfigMap and Service in storage mode V(tempo).
    type: str
    default: tempo
  query_name:
    description: Name of the Jaeger Query Deployment and Service in storage mode V(tempo).
    type: str
    default: jaeger-query
  query_port:
    description: Port of the Jaeger Query UI on its Service (operator mode).
    type: int
    default: 16686
  collector_service:
    description: Service that receives OTLP for Jaeger in storage mode V(tempo) (the contract C(jaeger-collector.jaeger:4317)).
    type: str
    default: jaeger-collector
  collector_otlp_grpc_port:
    description: OTLP gRPC port of the receiving Service.
    type: int
    default: 4317
  collector_otlp_http_port:
    description: OTLP HTTP port of the receiving Service.
    type: int
    default: 4318
  storage_secret_name:
    description: Name of the storage Secret in O(jaeger_namespace) (role jaeger_production, C(jaeger_production_storage_secret_name)).
    type: str
    default: jaeger-storage
  sampler_name:
    description: Service of the tail-sampling tier the agents must route to (role tail_sampler, C(tail_sampler_name)).
    type: str
    default: otel-sampler
  sampler_namespace:
    description: Namespace of the tail-sampling tier (role tail_sampler, C(tail_sampler_namespace)). Defaults to O(jaeger_namespace).
    type: str
  sampler_port:
    description: OTLP gRPC port of the tail-sampling tier (role tail_sampler, C(tail_sampler_otlp_grpc_port)).
    type: int
    default: 4317
  canary:
    description:
      - End-to-end check. Sends three synthetic traces (service name C(tracing-readiness-canary), one with an error span)
        to the agents' OTLP/HTTP port through the API server's service proxy, then looks the error trace up in jaeger-query's
        HTTP API, also through the service proxy. No port-forward is needed. The run fails when the trace does not appear, and the message names the hop
        (agents, samplers, Tempo, query) read from the cluster, with the fix.
      - Writes nothing to the cluster but those spans. Skipped in check mode.
    type: bool
    default: false
  canary_timeout:
    description: Seconds the canary waits for its error trace in jaeger-query (decision_wait and batching come first).
    type: int
    default: 60
notes:
  - Supports check mode (nothing is written at all) and is otherwise read-only.
requirements:
  - boto3 (Python), for the bucket checks
attributes:
  check_mode:
    support: full
    description: Reads only; O(report_path) is not written in check mode.
  diff_mode:
    support: none
    description: Nothing in the cluster is changed.
"""

EXAMPLES = r"""
- name: Assess the tracing stack
  talos_homelab.tracing.tracing_readiness:
    kubeconfig: ~/.kube/talos-homelab
    s3_endpoint_url: http://rgw.homelab.lan:80
    report_path: "{{ playbook_dir }}/tracing-readiness.md"
  register: readiness

- name: Show the report
  ansible.builtin.debug:
    msg: "{{ readiness.report }}"

- name: Gate a pipeline on the readiness score (before-state gives Jaeger 30/100)
  talos_homelab.tracing.tracing_readiness:
    storage_mode: tempo
    retention_days: 7
    fail_under: 100
"""

RETURN = r"""
score:
  description: Overall score, the rounded mean of the component scores.
  returned: always
  type: int
  sample: 100
verdict:
  description: C(PRODUCTION-READY) when every component is, else C(NOT PRODUCTION-READY).
  returned: always
  type: str
  sample: NOT PRODUCTION-READY
storage_mode:
  description: The mode the Jaeger checks ran in (O(storage_mode) resolved).
  returned: always
  type: str
  sample: tempo
components:
  description: Per component (C(otel_collector), C(jaeger), C(storage)) its score, verdict and checks.
  returned: always
  type: dict
  contains:
    score:
      description: Component score 0-100.
      type: int
    verdict:
      description: Component verdict.
      type: str
    checks:
      description: The checks, each with C(id), C(title), C(component), C(severity), C(weight), C(points), C(passed),
        C(evidence), C(fix).
      type: list
      elements: dict
  sample:
    jaeger:
      score: 30
      verdict: NOT PRODUCTION-READY
      checks:
        - id: jaeger_strategy
          title: Production deployment strategy
          component: jaeger
          severity: danger
          weight: 8
          points: 16
          passed: false
          evidence: strategy allInOne
          fix: deploy with role jaeger_production
report:
  description: The Markdown report (component trees with check marks and a C(VERDICT:) line).
  returned: always
  type: str
  sample: "Jaeger: 30/100 \u2014 NOT PRODUCTION-READY"
report_path:
  description: Absolute path of the report file.
  returned: when O(report_path) is set
  type: str
report_written:
  description: Whether the report file was written by this run.
  returned: always
  type: bool
api_requests:
  description: Number of Kubernetes API requests the assessment made (independent of the node count).
  returned: always
  type: int
  sample: 16
canary:
  description: The canary's result, C(passed), C(error_trace_id), C(seconds) until it appeared, and on a miss C(hop), C(problem), C(fix).
  returned: when O(canary) is set and not in check mode
  type: dict
collection_errors:
  description: Reads the API server refused (403), reported as evidence instead of failing.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.k8s import K8sClient
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.run import readiness_argument_spec, run
from ansible_collections.talos_homelab.tracing.plugins.module_utils.s3 import S3Client


def main():
    argument_spec = readiness_argument_spec()
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        result, failed = run(
            module,
            client_factory=lambda params: K8sClient(params, check_mode=module.check_mode),
            s3_factory=lambda params: S3Client(params, check_mode=True),
        )
    except TracingError as err:
        module.fail_json(**err.fail_json_kwargs())
    if failed:
        module.fail_json(msg=failed, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
