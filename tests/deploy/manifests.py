"""Rendered Kubernetes objects, and what a container of them reads and runs."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from mes_events.service import ALL_ROLES, Role

from .kustomize import Doc, build, pod_containers, split_image
from .services import ROOT, ServiceSpec, service_named

OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"
PLANT_LABEL = "mes/plant"
NAME_LABEL = "app.kubernetes.io/name"


@dataclass(frozen=True)
class Workload:
    """A Deployment's only container, with the service it runs and the environment it gets."""

    deployment: Doc
    container: Doc
    service: ServiceSpec
    env: dict[str, str]

    @property
    def name(self) -> str:
        return str(self.deployment["metadata"]["name"])

    @property
    def replicas(self) -> int:
        return int(self.deployment["spec"].get("replicas", 1))

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.deployment["spec"]["template"]["metadata"]["labels"])

    @property
    def plant(self) -> str | None:
        return self.labels.get(PLANT_LABEL)

    @property
    def roles(self) -> frozenset[Role]:
        """The roles of `--role` arguments; none given means every role."""
        if not self.service.has_roles:  # the dashboard: an API and nothing else
            return frozenset({Role.API})
        args = list(self.container.get("command", [])) + list(self.container.get("args", []))
        pairs = zip(args, args[1:], strict=False)
        roles = [Role(value) for flag, value in pairs if flag == "--role"]
        return frozenset(roles) if roles else ALL_ROLES

    def settings(self) -> Any:
        return self.service.load(self.env)


@dataclass(frozen=True)
class Manifests:
    """The objects one overlay renders to."""

    overlay: str
    docs: list[Doc]

    @classmethod
    def render(cls, overlay: str) -> Manifests:
        return cls(overlay, build(OVERLAYS / overlay))

    def of_kind(self, kind: str) -> list[Doc]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> Doc:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, f"{len(found)} {kind} named {name} in {self.overlay}"
        return found[0]

    @cached_property
    def workloads(self) -> tuple[Workload, ...]:
        result = []
        for deployment in self.of_kind("Deployment"):
            (container,) = pod_containers(deployment)
            service = service_named(deployment["metadata"]["labels"][NAME_LABEL])
            result.append(Workload(deployment, container, service, self.environment(container)))
        return tuple(result)

    def environment(self, container: Doc) -> dict[str, str]:
        """The container's variables: envFrom first, then env (which wins), refs resolved."""
        env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                env |= self.get("ConfigMap", source["configMapRef"]["name"])["data"]
            else:
                env |= self.secret_data(source["secretRef"]["name"])
        for var in container.get("env", []):
            if "value" in var:
                env[var["name"]] = str(var["value"])
                continue
            ref = var["valueFrom"]
            if "configMapKeyRef" in ref:
                key = ref["configMapKeyRef"]
                env[var["name"]] = self.get("ConfigMap", key["name"])["data"][key["key"]]
            else:
                key = ref["secretKeyRef"]
                env[var["name"]] = self.secret_data(key["name"])[key["key"]]
        return env

    def secret_data(self, name: str) -> dict[str, str]:
        secret = self.get("Secret", name)
        data = {k: base64.b64decode(v).decode() for k, v in secret.get("data", {}).items()}
        return data | dict(secret.get("stringData", {}))

    def selected(self, selector: dict[str, str]) -> list[Workload]:
        return [w for w in self.workloads if selector.items() <= w.labels.items()]


def image_service(image: str) -> str:
    """`registry.example.com/mes/orders:0.1.0` -> `orders`."""
    return split_image(image)[0].rsplit("/", 1)[-1]


def overlays() -> list[str]:
    return sorted(p.name for p in OVERLAYS.iterdir() if (p / "kustomization.yaml").exists())


def dockerfile_of(service: ServiceSpec) -> Path:
    return service.directory / "Dockerfile"
