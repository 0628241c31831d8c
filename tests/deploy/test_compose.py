"""docker-compose.yml against the services' settings classes, Dockerfiles and the init script."""

from __future__ import annotations

import base64
import json
import re
import uuid
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import jsonschema  # type: ignore[import-untyped]
import pytest
from sqlalchemy import make_url

from .compose import environment, load, published_ports
from .images import stages
from .services import LEFT_UNSET, ROOT, ServiceSpec, all_services, service_named

SERVICES = all_services()
SECRETS = {
    "POSTGRES_PASSWORD": "s3cret-for-the-test",
    "MES_SIGNING_KEY": "a-signing-key-of-at-least-32-bytes-for-the-test",
    "MES_DASHBOARD_TOKEN": "a-token-for-the-test",
}
INIT_SCRIPT = "deploy/postgres/init-databases.sql"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load(SECRETS)


def by_name(spec: ServiceSpec) -> str:
    return spec.name


@pytest.fixture(params=SERVICES, ids=by_name)
def service(request: pytest.FixtureRequest) -> ServiceSpec:
    spec: ServiceSpec = request.param
    return spec


def settings_of(compose: dict[str, Any], service: ServiceSpec) -> Any:
    return service.load(environment(compose["services"][service.name]))


def test_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(vendored.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_runs_the_broker_the_database_and_every_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "kafka"} | {s.name for s in SERVICES}


def test_builds_the_service_image_from_the_workspace_root(
    compose: dict[str, Any], service: ServiceSpec
) -> None:
    entry = compose["services"][service.name]
    assert entry["build"]["context"] == "."
    assert (ROOT / entry["build"]["dockerfile"]) == service.directory / "Dockerfile"
    assert entry["image"].split(":")[0] == f"mes/{service.name}"


def test_sets_every_variable_the_settings_class_reads_and_no_other(
    compose: dict[str, Any], service: ServiceSpec
) -> None:
    names = set(environment(compose["services"][service.name]))
    assert names == service.env_vars, (
        f"missing {sorted(service.env_vars - names)}, unknown {sorted(names - service.env_vars)}"
    )
    settings_of(compose, service)  # every value is valid for its field


def test_variables_left_unset_are_still_read_by_some_service() -> None:
    read = set().union(*(s.reads for s in SERVICES))
    assert LEFT_UNSET.keys() <= read, "remove what no settings class reads from LEFT_UNSET"


def test_listens_on_its_port_and_publishes_it(
    compose: dict[str, Any], service: ServiceSpec
) -> None:
    settings = settings_of(compose, service)
    assert settings.http_host == "0.0.0.0"
    assert settings.http_port == service.port
    assert published_ports(compose["services"][service.name]) == [(service.port, service.port)]


def test_published_ports_are_unique(compose: dict[str, Any]) -> None:
    hosts = [host for entry in compose["services"].values() for host, _ in published_ports(entry)]
    assert len(hosts) == len(set(hosts))


@pytest.mark.parametrize("service", [s for s in SERVICES if s.has_database], ids=by_name)
def test_database_is_one_the_init_script_creates(
    compose: dict[str, Any], service: ServiceSpec
) -> None:
    url = make_url(settings_of(compose, service).database_url)
    postgres = compose["services"]["postgres"]
    assert (url.host, url.port) == ("postgres", 5432)
    assert url.username == postgres["environment"]["POSTGRES_USER"]
    assert url.password == postgres["environment"]["POSTGRES_PASSWORD"]
    assert url.password == SECRETS["POSTGRES_PASSWORD"]
    assert url.database == f"mes_{service.name}"
    created = re.findall(r"CREATE DATABASE (\w+)", (ROOT / INIT_SCRIPT).read_text())
    assert url.database in created
    mounts = [v.split(":") for v in postgres["volumes"] if isinstance(v, str)]
    assert [f"./{INIT_SCRIPT}", "/docker-entrypoint-initdb.d/10-databases.sql", "ro"] in mounts


def test_databases_are_not_shared(compose: dict[str, Any]) -> None:
    urls = [settings_of(compose, s).database_url for s in SERVICES if s.has_database]
    assert len({make_url(u).database for u in urls}) == len(urls)


@pytest.mark.parametrize("service", [s for s in SERVICES if s.has_kafka], ids=by_name)
def test_kafka_settings_fit_the_broker(compose: dict[str, Any], service: ServiceSpec) -> None:
    kafka = settings_of(compose, service).kafka
    broker = compose["services"]["kafka"]["environment"]
    advertised = [urlsplit(u).netloc for u in broker["KAFKA_ADVERTISED_LISTENERS"].split(",")]
    assert kafka.bootstrap_servers in advertised
    voters = str(broker["KAFKA_CONTROLLER_QUORUM_VOTERS"]).split(",")
    assert kafka.replication_factor <= len(voters) == 1
    assert kafka.enable_idempotence, "Apache Kafka supports the idempotent producer"


def test_every_service_creates_topics_with_the_same_partitions(compose: dict[str, Any]) -> None:
    # The first relay or consumer to start creates a topic, with its own setting.
    counts = {s.name: settings_of(compose, s).kafka.partitions for s in SERVICES if s.has_kafka}
    assert len(set(counts.values())) == 1, counts


def test_kafka_runs_in_kraft_mode(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = {key: str(value) for key, value in kafka["environment"].items()}
    assert kafka["image"].split(":")[0] == "apache/kafka"
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert not any("ZOOKEEPER" in key for key in env)
    assert "zookeeper" not in compose["services"]
    # A KRaft cluster id is a UUID in URL-safe base64 without padding.
    cluster = env["CLUSTER_ID"]
    raw = base64.urlsafe_b64decode(cluster + "==")
    assert base64.urlsafe_b64encode(uuid.UUID(bytes=raw).bytes).decode().rstrip("=") == cluster
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def upstreams(compose: dict[str, Any], service: ServiceSpec) -> set[str]:
    """The services this one calls over HTTP (its settings' http:// URLs)."""
    settings = settings_of(compose, service).model_dump()
    return {urlsplit(v).hostname or "" for v in settings.values() if str(v).startswith("http")}


def test_urls_name_a_service_on_its_port(compose: dict[str, Any], service: ServiceSpec) -> None:
    settings = settings_of(compose, service).model_dump()
    for value in settings.values():
        if isinstance(value, str) and value.startswith("http"):
            url = urlsplit(value)
            assert url.port == service_named(str(url.hostname)).port, value


def test_starts_after_what_it_needs_is_healthy(
    compose: dict[str, Any], service: ServiceSpec
) -> None:
    depends = compose["services"][service.name].get("depends_on", {})
    needed = upstreams(compose, service)
    needed |= {"postgres"} if service.has_database else set()
    needed |= {"kafka"} if service.has_kafka else set()
    assert needed, f"{service.name} needs nothing?"
    assert {name: depends.get(name, {}).get("condition") for name in needed} == dict.fromkeys(
        needed, "service_healthy"
    )


def test_every_awaited_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    awaited = {
        name
        for entry in compose["services"].values()
        for name, dep in entry.get("depends_on", {}).items()
        if dep["condition"] == "service_healthy"
    }
    for name in awaited:
        entry = compose["services"][name]
        if "healthcheck" in entry:
            assert entry["healthcheck"]["test"]
        else:
            image = stages(ROOT / entry["build"]["dockerfile"])[-1]
            assert image.last("HEALTHCHECK") is not None, name


def test_every_service_checks_tokens_with_the_same_key(compose: dict[str, Any]) -> None:
    auth = [
        settings_of(compose, s).auth for s in SERVICES if "auth" in s.settings_class.model_fields
    ]
    assert auth, "no service reads auth settings"
    assert all(a.enabled for a in auth)
    assert len({a.signing_key.get_secret_value() for a in auth}) == 1  # one token, every API
    assert len({a.audience for a in auth}) == 1
