"""docker-compose.yml as Compose reads it: YAML with `${VAR}` interpolation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from .services import ROOT

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}; $$ is a literal $.
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def load(env: Mapping[str, str]) -> dict[str, Any]:
    """The compose file with variables replaced from `env` (as `docker compose config` does)."""
    raw: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    result: dict[str, Any] = _walk(raw, env)
    return result


def interpolate(text: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        value = env.get(name)
        unset = value is None or (op is not None and op.startswith(":") and value == "")
        if op is not None and op.endswith("?") and unset:
            raise KeyError(f"{name}: {arg}")
        if op is not None and op.endswith("-") and unset:
            return str(arg)
        return value or ""

    return _VARIABLE.sub(replace, text)


def _walk(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: _walk(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(item, env) for item in node]
    if isinstance(node, str):
        return interpolate(node, env)
    return node


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment as strings, from either the mapping or the list form."""
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: _as_env(value) for key, value in env.items()}


def _as_env(value: Any) -> str:
    if isinstance(value, bool):  # YAML true -> "true", as Compose passes it
        return str(value).lower()
    return "" if value is None else str(value)


def published_ports(service: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(host port, container port) of each `ports` entry, short or long syntax."""
    ports: list[tuple[int, int]] = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports.append((int(entry["published"]), int(entry["target"])))
        else:
            *host, container = str(entry).split(":")
            ports.append((int(host[-1]) if host else int(container), int(container)))
    return ports
