"""Event type names, schema versions and the registry from wire name to payload model."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class DomainEvent(BaseModel):
    """Base of every event payload; subclasses name themselves with class keywords.

    `class OrderReceived(DomainEvent, type_name="orders.OrderReceived", version=2,
    stream_type="order")` registers the model under its stable wire name. The current version
    of a type is the highest registered one; older versions stay registered for schemas and
    upcasting tests.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type_name: ClassVar[str]
    version: ClassVar[int]
    stream_type: ClassVar[str]

    def __init_subclass__(
        cls,
        *,
        type_name: str | None = None,
        version: int = 1,
        stream_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if type_name is None:
            return
        cls.type_name = type_name
        cls.version = version
        cls.stream_type = stream_type or ""
        REGISTRY.register(cls)


class UnknownEventType(LookupError):
    """Raised for a wire name (or version) that no model is registered under."""


class EventRegistry:
    """Maps (type name, version) to payload models."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, int], type[DomainEvent]] = {}

    def register(self, model: type[DomainEvent]) -> None:
        key = (model.type_name, model.version)
        existing = self._models.get(key)
        if existing is not None and existing.__qualname__ != model.__qualname__:
            raise ValueError(f"{key} registered twice: {existing!r} and {model!r}")
        self._models[key] = model

    def model(self, type_name: str, version: int | None = None) -> type[DomainEvent]:
        """The model for a type name at a version (default: the current one)."""
        if version is None:
            version = self.current_version(type_name)
        try:
            return self._models[(type_name, version)]
        except KeyError:
            raise UnknownEventType(f"{type_name} v{version}") from None

    def current_version(self, type_name: str) -> int:
        versions = [v for (name, v) in self._models if name == type_name]
        if not versions:
            raise UnknownEventType(type_name)
        return max(versions)

    def current_models(self) -> list[type[DomainEvent]]:
        """The latest version of every registered type, sorted by type name."""
        names = sorted({name for name, _ in self._models})
        return [self.model(name) for name in names]

    def all_models(self) -> list[type[DomainEvent]]:
        return [self._models[key] for key in sorted(self._models)]


REGISTRY = EventRegistry()
