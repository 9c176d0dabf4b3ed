"""RBAC evaluation of the twin: answers authorization.k8s.io/v1 access reviews from the
Role/ClusterRole/RoleBinding/ClusterRoleBinding objects in the store.

Reusable: ``authorize(store, user, groups, attrs)`` decides one request the way the RBAC
authorizer does (kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go ``Authorize`` visiting the
bindings of pkg/registry/rbac/validation/rule.go ``VisitRulesFor``), and
``service_account_user(ns, name)`` gives a pod's ServiceAccount identity
(k8s.io/apiserver pkg/authentication/serviceaccount/util.go MakeUsername/MakeGroupNames).

Rule matching follows pkg/apis/rbac/v1/evaluation_helpers.go: ``VerbMatches``,
``APIGroupMatches``, ``ResourceMatches`` (``*``, ``<resource>/<subresource>``, ``*/<subresource>``),
``ResourceNameMatches`` (empty list = all names), ``NonResourceURLMatches`` (``*`` and a trailing
``*`` prefix). Members of ``system:masters`` are allowed without a reason, as the privileged-group
authorizer in front of RBAC does (pkg/kubeapiserver/authorizer/config.go, authorizerfactory
NewPrivilegedGroups). A denial by RBAC has no opinion, so the review says ``allowed: false``
with no reason and no ``denied`` (SubjectAccessReviewStatus).

Not modelled: aggregated ClusterRoles (aggregationRule), the Node and Webhook authorizers,
the default bootstrap roles (only what the twin's store holds counts).
"""

from __future__ import annotations

from typing import Optional

PRIVILEGED_GROUP = "system:masters"


def service_account_user(ns: str, name: str) -> tuple:
    """(username, groups) of a ServiceAccount token."""
    return f"system:serviceaccount:{ns}:{name}", ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]


def _verb_matches(rule, verb):
    return any(v in ("*", verb) for v in rule.get("verbs") or [])


def _group_matches(rule, group):
    return any(g in ("*", group) for g in rule.get("apiGroups") or [])


def _resource_matches(rule, resource, sub):
    combined = f"{resource}/{sub}" if sub else resource
    for r in rule.get("resources") or []:
        if r == "*" or r == combined:
            return True
        if sub and r == f"*/{sub}":
            return True
    return False


def _name_matches(rule, name):
    names = rule.get("resourceNames") or []
    return not names or (name or "") in names


def _url_matches(rule, path):
    for u in rule.get("nonResourceURLs") or []:
        if u == "*" or u == path or (u.endswith("*") and path.startswith(u[:-1])):
            return True
    return False


def rule_allows(rule: dict, attrs: dict) -> bool:
    if attrs.get("nonResourceURL") is not None:
        return _verb_matches(rule, attrs["verb"]) and _url_matches(rule, attrs["nonResourceURL"])
    return (
        _verb_matches(rule, attrs.get("verb", ""))
        and _group_matches(rule, attrs.get("group", ""))
        and _resource_matches(rule, attrs.get("resource", ""), attrs.get("subresource", ""))
        and _name_matches(rule, attrs.get("name", ""))
    )


def _subject_matches(subj: dict, user: str, groups: list, binding_ns: Optional[str]) -> bool:
    """rule.go appliesToUser."""
    kind = subj.get("kind")
    if kind == "User":
        return subj.get("name") == user
    if kind == "Group":
        return subj.get("name") in groups
    if kind == "ServiceAccount":
        ns = subj.get("namespace") or binding_ns or ""
        return user == f"system:serviceaccount:{ns}:{subj.get('name')}"
    return False


def _describe_subject(subj: dict, binding_ns: Optional[str]) -> str:
    if subj.get("kind") == "ServiceAccount":
        return f'ServiceAccount "{subj.get("name")}/{subj.get("namespace") or binding_ns}"'
    return f'{subj.get("kind")} "{subj.get("name")}"'


def authorize(store, user: str, groups: list, attrs: dict) -> tuple:
    """(allowed, reason) for ``attrs`` = {verb, group, resource, subresource, name, namespace}
    or {verb, nonResourceURL}. ClusterRoleBindings first, then RoleBindings of the namespace."""
    groups = list(groups or [])
    if PRIVILEGED_GROUP in groups:
        return True, ""
    roles = {("ClusterRole", None, r["metadata"]["name"]): r for r in store.list_kind("rbac.authorization.k8s.io/v1", "ClusterRole")}
    for crb in store.list_kind("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"):
        ref = crb.get("roleRef") or {}
        role = roles.get(("ClusterRole", None, ref.get("name")))
        if role is None or ref.get("kind") != "ClusterRole":
            continue
        for subj in crb.get("subjects") or []:
            if not _subject_matches(subj, user, groups, None):
                continue
            if any(rule_allows(rule, attrs) for rule in role.get("rules") or []):
                return True, (
                    f'RBAC: allowed by ClusterRoleBinding "{crb["metadata"]["name"]}" of ClusterRole "{ref.get("name")}" '
                    f"to {_describe_subject(subj, None)}"
                )
    ns = attrs.get("namespace")
    if ns and attrs.get("nonResourceURL") is None:
        for rb in store.list_kind("rbac.authorization.k8s.io/v1", "RoleBinding", ns):
            ref = rb.get("roleRef") or {}
            if ref.get("kind") == "ClusterRole":
                role = roles.get(("ClusterRole", None, ref.get("name")))
            else:
                role = store.find("rbac.authorization.k8s.io/v1", "Role", ns, ref.get("name", ""))
            if role is None:
                continue
            for subj in rb.get("subjects") or []:
                if not _subject_matches(subj, user, groups, ns):
                    continue
                if any(rule_allows(rule, attrs) for rule in role.get("rules") or []):
                    return True, (
                        f'RBAC: allowed by RoleBinding "{rb["metadata"]["name"]}/{ns}" of {ref.get("kind")} "{ref.get("name")}" '
                        f"to {_describe_subject(subj, ns)}"
                    )
    return False, ""


def review_attrs(spec: dict) -> dict:
    ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if nra is not None:
        return {"verb": nra.get("verb", ""), "nonResourceURL": nra.get("path", "")}
    ra = ra or {}
    return {
        "verb": ra.get("verb", ""),
        "group": ra.get("group", ""),
        "resource": ra.get("resource", ""),
        "subresource": ra.get("subresource", ""),
        "name": ra.get("name", ""),
        "namespace": ra.get("namespace", ""),
    }


def review_errors(kind: str, spec: dict) -> list:
    """pkg/apis/authorization/validation/validation.go ValidateSubjectAccessReviewSpec /
    ValidateSelfSubjectAccessReviewSpec: (field, reason, message) triples."""
    errs = []
    ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if ra is None and nra is None:
        errs.append(
            ("spec.resourceAttributes", "FieldValueRequired", "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified")
        )
    if ra is not None and nra is not None:
        errs.append(("spec.nonResourceAttributes", "FieldValueInvalid", "Invalid value: cannot be specified in combination with resourceAttributes"))
    if kind == "SubjectAccessReview" and not spec.get("user") and not spec.get("groups"):
        errs.append(("spec.user", "FieldValueInvalid", 'Invalid value: "": at least one of user or group must be specified'))
    return errs
