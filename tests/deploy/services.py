"""The services the system runs and the environment variables their settings classes read."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from unittest import mock

from pydantic import BaseModel
from pydantic_settings import BaseSettings

from mes_events.devstack import ALL_SERVICES
from mes_events.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]

# Variables a settings class reads that production deliberately leaves unset, and why.
LEFT_UNSET = {
    "MES_CLOCK_EPOCH": "the simulator's faster plant clock (make up); production keeps wall time",
    "MES_CLOCK_SPEED": "the simulator's faster plant clock",
    "MES_CLOCK_WALL_START": "the simulator's faster plant clock",
}


@dataclass(frozen=True)
class ServiceSpec:
    """One service of the stack (from `mes_events.devstack`) and its settings class."""

    name: str
    module: str
    port: int
    prefix: str

    @cached_property
    def settings_class(self) -> type[BaseSettings]:
        cls: type[BaseSettings] = importlib.import_module(f"{self.module}.config").Settings
        assert issubclass(cls, BaseSettings)
        return cls

    @cached_property
    def reads(self) -> frozenset[str]:
        """Every variable the settings class reads (upper case)."""
        return frozenset(settings_env_vars(self.settings_class))

    @property
    def env_vars(self) -> frozenset[str]:
        """The variables a deployment must set: all it reads but those LEFT_UNSET."""
        return self.reads - LEFT_UNSET.keys()

    @property
    def has_database(self) -> bool:
        return "database_url" in self.settings_class.model_fields

    @property
    def has_roles(self) -> bool:
        """Whether it runs on the shared runtime (`--role api|relay|consumer|projections`)."""
        return issubclass(self.settings_class, ServiceSettings)

    @property
    def has_kafka(self) -> bool:
        return "kafka" in self.settings_class.model_fields

    @property
    def package(self) -> str:
        return f"mes-{self.name}"

    @property
    def directory(self) -> Path:
        return ROOT / "services" / self.name

    def load(self, env: Mapping[str, str]) -> BaseSettings:
        """The settings this environment gives, whatever the test process's environment."""
        with mock.patch.dict(os.environ, {k: str(v) for k, v in env.items()}):
            for key in list(os.environ):
                if key.upper() in self.reads and key not in env:
                    del os.environ[key]
            return self.settings_class()


def all_services() -> list[ServiceSpec]:
    return [ServiceSpec(s.name, s.module, s.port, s.env_prefix) for s in ALL_SERVICES]


def service_named(name: str) -> ServiceSpec:
    (spec,) = [s for s in all_services() if s.name == name]
    return spec


def settings_env_vars(cls: type[BaseSettings]) -> Iterator[str]:
    """Names of the variables a pydantic-settings class reads: prefix + field, nested by `__`."""
    config = cls.model_config
    prefix = str(config.get("env_prefix") or "")
    delimiter = config.get("env_nested_delimiter")
    for name, field in cls.model_fields.items():
        alias = field.validation_alias or field.alias
        if alias is not None and not isinstance(alias, str):
            raise NotImplementedError(f"{cls.__name__}.{name}: alias {alias!r}")
        env_name = (alias or f"{prefix}{name}").upper()
        nested = field.annotation
        if delimiter and isinstance(nested, type) and issubclass(nested, BaseModel):
            for sub in nested.model_fields:
                yield f"{env_name}{delimiter}{sub}".upper()
        else:
            yield env_name
