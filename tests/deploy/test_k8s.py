"""The Kubernetes overlays, rendered, against the services' settings classes and images."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from kubernetes_validate import utils as kv_utils
from sqlalchemy import make_url

from mes_events.service import ALL_ROLES, Role

from .images import stages
from .kustomize import Doc
from .manifests import (
    NAME_LABEL,
    OVERLAYS,
    Manifests,
    Workload,
    dockerfile_of,
    image_service,
    overlays,
)
from .services import all_services

# The oldest Kubernetes the manifests are written for, and the newest schema available.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
NAMESPACE = "mes"


@pytest.fixture(scope="module", params=overlays())
def rendered(request: pytest.FixtureRequest) -> Manifests:
    return Manifests.render(request.param)


def key(doc: Doc) -> tuple[str, str, str]:
    return doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"]


def test_both_overlays_exist() -> None:
    assert overlays() == ["multi-plant", "single-plant"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl to compare with")
def test_renders_the_same_objects_as_kubectl_kustomize(rendered: Manifests) -> None:
    out = subprocess.run(
        ["kubectl", "kustomize", str(OVERLAYS / rendered.overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    real = {key(doc): doc for doc in yaml.safe_load_all(out) if doc}
    assert {key(doc): doc for doc in rendered.docs} == real


@pytest.fixture(scope="module")
def cached_schemas() -> Iterator[None]:
    # kubernetes-validate reads its 1 MB definitions file on every call.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kv_utils, "schema_contents", functools.cache(kv_utils.schema_contents))
        yield


@pytest.mark.usefixtures("cached_schemas")
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_objects_follow_the_kubernetes_schema(rendered: Manifests, version: str) -> None:
    errors = []
    for doc in rendered.docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{key(doc)}: {'.'.join(map(str, error.path))}: {error.message}")
    assert errors == []


def test_everything_is_in_the_namespace(rendered: Manifests) -> None:
    assert rendered.get("Namespace", NAMESPACE)
    for doc in rendered.docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == NAMESPACE, key(doc)


def test_runs_every_service(rendered: Manifests) -> None:
    running = {w.service.name for w in rendered.workloads}
    assert running == {s.name for s in all_services()}


def test_each_deployment_runs_its_service_image(rendered: Manifests) -> None:
    for w in rendered.workloads:
        assert image_service(w.container["image"]) == w.service.name, w.name
        assert dockerfile_of(w.service).exists()


def test_env_is_exactly_what_the_settings_class_reads(rendered: Manifests) -> None:
    for w in rendered.workloads:
        names = set(w.env)
        assert names == w.service.env_vars, (
            f"{w.name}: missing {sorted(w.service.env_vars - names)}, "
            f"unknown {sorted(names - w.service.env_vars)}"
        )
        w.settings()  # every value is valid for its field


def test_probes_ask_readyz_and_healthz_on_the_service_port(rendered: Manifests) -> None:
    for w in rendered.workloads:
        settings = w.settings()
        assert settings.http_host == "0.0.0.0", w.name
        ports = {p["name"]: p["containerPort"] for p in w.container["ports"]}
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            get = w.container[probe]["httpGet"]
            assert get["path"] == path, (w.name, probe)
            assert ports.get(get["port"], get["port"]) == settings.http_port, (w.name, probe)
        # The probes need the HTTP server, which only the api role starts.
        assert Role.API in w.roles, w.name


def test_roles_are_known_ones(rendered: Manifests) -> None:
    for w in rendered.workloads:
        assert w.roles <= ALL_ROLES
        args = w.container.get("args", [])
        assert all(a == "--role" or args[i - 1] == "--role" for i, a in enumerate(args)), args


def test_requests_resources_and_caps_memory(rendered: Manifests) -> None:
    for w in rendered.workloads:
        resources = w.container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), w.name
        assert "memory" in resources["limits"], w.name


def test_runs_as_the_image_user_without_privileges(rendered: Manifests) -> None:
    for w in rendered.workloads:
        pod = w.deployment["spec"]["template"]["spec"]["securityContext"]
        user = stages(dockerfile_of(w.service))[-1].last("USER")
        assert user is not None
        assert pod["runAsNonRoot"] is True
        assert str(pod["runAsUser"]) == user.args[0].split(":")[0], w.name
        container = w.container["securityContext"]
        assert container["allowPrivilegeEscalation"] is False
        if container.get("readOnlyRootFilesystem"):
            mounts = {m["mountPath"] for m in w.container.get("volumeMounts", [])}
            assert "/tmp" in mounts, w.name


def hpa_targets(rendered: Manifests) -> dict[str, Doc]:
    targets = {}
    for hpa in rendered.of_kind("HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment"
        targets[ref["name"]] = hpa
    return targets


def test_autoscalers_target_existing_api_deployments(rendered: Manifests) -> None:
    by_name = {w.name: w for w in rendered.workloads}
    for name, hpa in hpa_targets(rendered).items():
        assert name in by_name, f"HPA {hpa['metadata']['name']} targets no Deployment {name}"
        assert by_name[name].roles == {Role.API}, f"{name}: autoscaled but runs more than the API"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        metrics = [m["resource"]["name"] for m in hpa["spec"]["metrics"]]
        assert "cpu" in metrics
        assert "cpu" in by_name[name].container["resources"]["requests"]


def test_every_api_only_deployment_is_autoscaled(rendered: Manifests) -> None:
    targets = hpa_targets(rendered)
    for w in rendered.workloads:
        if w.roles == {Role.API}:
            assert w.name in targets, f"{w.name} serves only the API but has no autoscaler"


def partitions(rendered: Manifests) -> int:
    counts: set[int] = {
        w.settings().kafka.partitions for w in rendered.workloads if w.service.has_kafka
    }
    # The first relay or consumer to start creates a topic, with its own setting.
    assert len(counts) == 1, f"services disagree on partitions: {counts}"
    return counts.pop()


def test_consumer_replicas_are_bounded_by_partitions(rendered: Manifests) -> None:
    limit = partitions(rendered)
    targets = hpa_targets(rendered)
    consumers = [w for w in rendered.workloads if Role.CONSUMER in w.roles]
    assert consumers
    for w in consumers:
        most = targets[w.name]["spec"]["maxReplicas"] if w.name in targets else w.replicas
        assert most <= limit, f"{w.name}: {most} replicas for {limit} partitions"


def schedulers(rendered: Manifests) -> list[Workload]:
    return [w for w in rendered.workloads if w.service.name == "scheduler"]


def test_one_scheduler_per_plant(rendered: Manifests) -> None:
    found = schedulers(rendered)
    plants = [w.settings().plant_id for w in found]
    assert len(plants) == len(set(plants)), plants
    # Each plant's planner reads the shared topics in a consumer group of its own, and
    # publishes under a source of its own (consumers track streams per source).
    groups = [f"{w.settings().service}.{w.settings().planner_name}" for w in found]
    sources = [w.settings().event_source for w in found]
    assert len(set(groups)) == len(set(sources)) == len(plants), (groups, sources)
    if rendered.overlay == "single-plant":
        assert len(plants) == 1
    else:
        assert len(plants) >= 2
    targets = hpa_targets(rendered)
    for w, plant in zip(found, plants, strict=True):
        assert w.replicas == 1, w.name
        assert w.deployment["spec"]["strategy"]["type"] == "Recreate", w.name
        assert w.name not in targets, f"{w.name} must not be autoscaled"
        assert w.plant == plant, f"{w.name}: label plant {w.plant}, settings plant {plant}"
        assert w.roles == ALL_ROLES, "the plan lives in one process: API, consumer and improver"


def test_each_plant_has_its_own_scheduler_database(rendered: Manifests) -> None:
    databases = [make_url(w.settings().database_url).database for w in schedulers(rendered)]
    assert len(databases) == len(set(databases)), databases


def test_services_do_not_share_a_database(rendered: Manifests) -> None:
    owner: dict[str, str] = {}
    for w in rendered.workloads:
        if not w.service.has_database:
            continue
        database = str(make_url(w.settings().database_url).database)
        who = f"{w.service.name}@{w.plant}" if w.service.name == "scheduler" else w.service.name
        assert owner.setdefault(database, who) == who, f"{database}: {owner[database]}, {who}"


def test_services_route_to_api_pods_on_their_port(rendered: Manifests) -> None:
    for service in rendered.of_kind("Service"):
        selected = rendered.selected(service["spec"]["selector"])
        name = service["metadata"]["name"]
        assert selected, f"Service {name} selects no pods"
        assert all(Role.API in w.roles for w in selected)
        assert len({w.service.name for w in selected}) == 1, name
        (port,) = service["spec"]["ports"]
        for w in selected:
            container_ports = {p["name"]: p["containerPort"] for p in w.container["ports"]}
            target = container_ports.get(port["targetPort"], port["targetPort"])
            assert target == port["port"] == w.settings().http_port, name


def test_urls_reach_the_named_service_of_the_same_plant(rendered: Manifests) -> None:
    for w in rendered.workloads:
        for field, value in w.settings().model_dump().items():
            if not (isinstance(value, str) and value.startswith("http")):
                continue
            url = urlsplit(value)
            service = rendered.get("Service", str(url.hostname))
            (port,) = service["spec"]["ports"]
            assert url.port == port["port"], f"{w.name}.{field}: {value}"
            targets = rendered.selected(service["spec"]["selector"])
            assert {t.service.name for t in targets} == {field.removesuffix("_url")}, field
            if w.plant is not None and targets[0].plant is not None:
                assert {t.plant for t in targets} == {w.plant}, f"{w.name}.{field}: other plant"


def test_labels_name_the_service(rendered: Manifests) -> None:
    for w in rendered.workloads:
        assert w.labels[NAME_LABEL] == w.service.name
        assert w.deployment["spec"]["selector"]["matchLabels"].items() <= w.labels.items()


def test_every_service_checks_tokens_with_the_same_key(rendered: Manifests) -> None:
    auth = [w.settings().auth for w in rendered.workloads if w.service.has_roles]
    assert auth and all(a.enabled for a in auth)
    assert len({a.signing_key.get_secret_value() for a in auth}) == 1  # one token, every API
    assert len({a.audience for a in auth}) == 1
