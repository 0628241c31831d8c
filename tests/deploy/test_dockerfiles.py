"""Every service's Dockerfile: multi-stage, installed by uv from the lock, non-root, healthy."""

from __future__ import annotations

import tomllib

import pytest

from .images import (
    arg_defaults,
    copy_sources,
    dockerignore_patterns,
    ignored,
    stages,
    workspace_dependencies,
)
from .services import ROOT, ServiceSpec, all_services

SERVICES = all_services()


def by_name(spec: ServiceSpec) -> str:
    return spec.name


@pytest.fixture(params=SERVICES, ids=by_name)
def service(request: pytest.FixtureRequest) -> ServiceSpec:
    spec: ServiceSpec = request.param
    return spec


def test_is_multi_stage_and_installs_from_the_lock_file(service: ServiceSpec) -> None:
    build = stages(service.directory / "Dockerfile")
    assert len(build) >= 2
    runs = [" ".join(i.args) for stage in build[:-1] for i in stage.all("RUN")]
    install = f"uv sync --frozen --package {service.package} --no-dev"
    assert any(install in " ".join(run.split()) for run in runs), runs
    # The image that runs carries no build tool: uv only in the build stages.
    assert not any("uv " in " ".join(i.args) for i in build[-1].all("RUN"))


def test_python_of_the_image_is_the_one_the_workspace_requires(service: ServiceSpec) -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = requires.split(",")[0].removeprefix(">=")  # ">=3.11,<3.12" -> "3.11"
    path = service.directory / "Dockerfile"
    final = stages(path)[-1].base
    for key, value in arg_defaults(path).items():
        final = final.replace(f"${{{key}}}", value)
    assert final.startswith(f"python:{minimum}-"), final


def test_runs_as_a_non_root_user(service: ServiceSpec) -> None:
    user = stages(service.directory / "Dockerfile")[-1].last("USER")
    assert user is not None
    name = user.args[0].split(":")[0]
    assert name not in {"root", "0"}
    # Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
    assert name.isdigit()


def test_healthcheck_asks_readyz_on_the_service_port(service: ServiceSpec) -> None:
    final = stages(service.directory / "Dockerfile")[-1]
    check = final.last("HEALTHCHECK")
    assert check is not None and check.args[0] == "CMD"
    probe = " ".join(check.args[1:])
    assert "/readyz" in probe
    assert f"{service.prefix}HTTP_PORT" in probe
    env = {k: v for i in final.all("ENV") for k, v in zip(i.args[::2], i.args[1::2], strict=True)}
    assert env[f"{service.prefix}HTTP_PORT"] == str(service.port)
    assert env[f"{service.prefix}HTTP_HOST"] == "0.0.0.0"
    exposed = [port for i in final.all("EXPOSE") for port in i.args]
    assert exposed == [str(service.port)]


def test_entrypoint_runs_the_service_module(service: ServiceSpec) -> None:
    entrypoint = stages(service.directory / "Dockerfile")[-1].last("ENTRYPOINT")
    assert entrypoint is not None and entrypoint.json
    assert list(entrypoint.args) == ["python", "-m", service.module]


def test_copies_every_workspace_package_it_needs(service: ServiceSpec) -> None:
    copied = {
        src
        for stage in stages(service.directory / "Dockerfile")
        for i in stage.all("COPY")
        for src in copy_sources(i)
    }
    for folder in workspace_dependencies(service.package).values():
        assert f"{folder}/pyproject.toml" in copied
        assert f"{folder}/src" in copied
    if service.has_database:  # the service migrates at start-up from beside its src/
        assert f"services/{service.name}/migrations" in copied


def test_copied_paths_exist_and_are_in_the_build_context(service: ServiceSpec) -> None:
    patterns = dockerignore_patterns()
    for stage in stages(service.directory / "Dockerfile"):
        for instruction in stage.all("COPY"):
            for source in copy_sources(instruction):
                assert (ROOT / source).exists(), source
                assert not ignored(source, patterns), f"{source} is in .dockerignore"


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    patterns = dockerignore_patterns()
    for path in (".git", ".venv", "services/orders/.venv", ".data", "services/x/tests/t.py"):
        assert ignored(path, patterns), path
    for path in ("uv.lock", "services/orders/src/mes_orders/config.py"):
        assert not ignored(path, patterns), path
