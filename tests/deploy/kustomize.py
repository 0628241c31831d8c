"""`kustomize build` for the subset of kustomize that deploy/k8s uses, in plain Python.

No kustomize binary is on PyPI, so the tests render the overlays with this; where `kubectl`
is installed, test_kustomize_matches_kubectl checks that both render the same objects.
Transformers run in kustomize's order: patches, namespace, name suffix, labels, replicas,
images. Anything else in a kustomization is refused rather than silently ignored.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]

SUPPORTED = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "nameSuffix",
    "labels",
    "patches",
    "replicas",
    "images",
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
# Strategic merge: the key that identifies an item of these lists (from the Kubernetes API).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
}


def build(directory: Path) -> list[Doc]:
    """The objects `kustomize build directory` prints."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise NotImplementedError(f"{directory}: kustomization fields {sorted(unknown)}")
    docs: list[Doc] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        docs += build(path) if path.is_dir() else load_all(path)
    for patch in kustomization.get("patches", []):
        if set(patch) != {"path"}:
            raise NotImplementedError(f"{directory}: patch {patch}")
        for doc in load_all(directory / patch["path"]):
            apply_patch(docs, doc)
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    if "nameSuffix" in kustomization:
        add_name_suffix(docs, kustomization["nameSuffix"])
    for label in kustomization.get("labels", []):
        add_labels(docs, label["pairs"], selectors=label.get("includeSelectors", False))
    for replica in kustomization.get("replicas", []):
        find(docs, "Deployment", replica["name"])["spec"]["replicas"] = replica["count"]
    for image in kustomization.get("images", []):
        set_image(docs, image)
    return docs


def load_all(path: Path) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    if len(found) != 1:
        raise LookupError(f"{len(found)} objects {kind}/{name}")
    return found[0]


def apply_patch(docs: list[Doc], patch: Doc) -> None:
    target = find(docs, patch["kind"], patch["metadata"]["name"])
    merged = merge(target, patch)
    target.clear()
    target.update(merged)


def merge(base: Any, patch: Any, field: str = "") -> Any:
    """A strategic merge patch: maps merge, keyed lists merge by key, other lists replace."""
    if isinstance(base, dict) and isinstance(patch, dict):
        if any(k.startswith("$") for k in patch):
            raise NotImplementedError(f"patch directive in {patch}")
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = merge(base[key], value, key) if key in base else copy.deepcopy(value)
        return out
    if isinstance(base, list) and isinstance(patch, list) and _merge_key(field, base + patch):
        key = _merge_key(field, base + patch)
        out_list = [copy.deepcopy(item) for item in base]
        for item in patch:
            at = [i for i, old in enumerate(out_list) if old.get(key) == item.get(key)]
            if at:
                out_list[at[0]] = merge(out_list[at[0]], item)
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(patch)


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":  # container ports merge by containerPort, Service ports by port
        return "containerPort" if all("containerPort" in i for i in items) else "port"
    return MERGE_KEYS.get(field)


def add_name_suffix(docs: list[Doc], suffix: str) -> None:
    """Rename every object, and the references to renamed objects in this kustomization."""
    renamed: dict[tuple[str, str], str] = {}
    for doc in docs:
        if doc["kind"] in CLUSTER_SCOPED:
            continue
        old = doc["metadata"]["name"]
        doc["metadata"]["name"] = renamed[doc["kind"], old] = old + suffix
    for doc in docs:
        target = doc.get("spec", {}).get("scaleTargetRef")
        if target and (target["kind"], target["name"]) in renamed:
            target["name"] = renamed[target["kind"], target["name"]]
        for container in pod_containers(doc):
            for source in container.get("envFrom", []):
                _rename_ref(source.get("configMapRef"), "ConfigMap", renamed)
                _rename_ref(source.get("secretRef"), "Secret", renamed)
            for var in container.get("env", []):
                value_from = var.get("valueFrom", {})
                _rename_ref(value_from.get("configMapKeyRef"), "ConfigMap", renamed)
                _rename_ref(value_from.get("secretKeyRef"), "Secret", renamed)


def _rename_ref(ref: Doc | None, kind: str, renamed: dict[tuple[str, str], str]) -> None:
    if ref is not None and (kind, ref["name"]) in renamed:
        ref["name"] = renamed[kind, ref["name"]]


def add_labels(docs: list[Doc], pairs: dict[str, str], *, selectors: bool) -> None:
    for doc in docs:
        doc["metadata"].setdefault("labels", {}).update(pairs)
        if not selectors:
            continue
        spec = doc.get("spec", {})
        if doc["kind"] in WORKLOADS:
            spec.setdefault("selector", {}).setdefault("matchLabels", {}).update(pairs)
            template = spec.setdefault("template", {}).setdefault("metadata", {})
            template.setdefault("labels", {}).update(pairs)
        elif doc["kind"] == "Service":
            spec.setdefault("selector", {}).update(pairs)
        elif doc["kind"] == "PodDisruptionBudget" and "selector" in spec:
            spec["selector"].setdefault("matchLabels", {}).update(pairs)


def set_image(docs: list[Doc], image: Doc) -> None:
    for doc in docs:
        for container in pod_containers(doc):
            name, tag = split_image(container["image"])
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"


def split_image(image: str) -> tuple[str, str]:
    """`registry/name:tag` -> (`registry/name`, `tag`); a missing tag is `latest`."""
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return image, "latest"
    return name, tag


def pod_containers(doc: Doc) -> list[Doc]:
    if doc["kind"] not in WORKLOADS:
        return []
    pod = doc["spec"]["template"]["spec"]
    containers: list[Doc] = pod.get("initContainers", []) + pod["containers"]
    return containers
