"""Dockerfiles read with BuildKit's own parser (the `dockerfile` package), and .dockerignore."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import dockerfile  # type: ignore[import-not-found]

from .services import ROOT


@dataclass(frozen=True)
class Instruction:
    cmd: str  # upper case, e.g. "COPY"
    flags: tuple[str, ...]
    args: tuple[str, ...]
    json: bool


@dataclass(frozen=True)
class Stage:
    base: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, cmd: str) -> list[Instruction]:
        return [i for i in self.instructions if i.cmd == cmd]

    def last(self, cmd: str) -> Instruction | None:
        found = self.all(cmd)
        return found[-1] if found else None


@functools.cache
def stages(path: Path) -> tuple[Stage, ...]:
    """The build stages of a Dockerfile, in order, with their instructions."""
    result: list[Stage] = []
    base, name, current = "", None, list[Instruction]()
    for command in dockerfile.parse_file(str(path)):
        instruction = Instruction(
            command.cmd.upper(), tuple(command.flags), tuple(command.value), command.json
        )
        if instruction.cmd == "FROM":
            if base:
                result.append(Stage(base, name, tuple(current)))
            args = instruction.args
            base = args[0]
            name = args[2] if len(args) == 3 and args[1].upper() == "AS" else None
            current = []
        elif base:
            current.append(instruction)
    if base:
        result.append(Stage(base, name, tuple(current)))
    return tuple(result)


def arg_defaults(path: Path) -> dict[str, str]:
    """Default values of the ARGs declared before the first FROM."""
    defaults: dict[str, str] = {}
    for command in dockerfile.parse_file(str(path)):
        if command.cmd.upper() == "FROM":
            break
        if command.cmd.upper() == "ARG":
            key, _, value = command.value[0].partition("=")
            defaults[key] = value
    return defaults


def copy_sources(instruction: Instruction) -> list[str]:
    """The build-context paths a COPY reads (none when it copies from another stage)."""
    if any(flag.startswith("--from=") for flag in instruction.flags):
        return []
    return list(instruction.args[:-1])


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps `path` (or a folder above it) out of the build context."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pattern in patterns:  # the last matching pattern decides, as in Docker
        regex = _pattern_regex(pattern.removeprefix("!"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            result = not pattern.startswith("!")
    return result


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern: `**` any folders (or none), `*` and `?` within one name."""
    out = ""
    for token in re.split(r"(\*\*/|\*\*|\*|\?)", pattern.strip("/")):
        out += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
            token, re.escape(token)
        )
    return re.compile(out)


def workspace_dependencies(package: str) -> dict[str, str]:
    """The workspace packages `package` needs at run time (itself included): name -> folder."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}

    def folder(name: str) -> str | None:
        source = packages[name].get("source", {})
        path: str | None = source.get("editable") or source.get("directory")
        return path

    needed: dict[str, str] = {}
    todo = [package]
    while todo:
        name = todo.pop()
        where = folder(name)
        if name in needed or where is None:
            continue
        needed[name] = where
        todo += [d["name"] for d in packages[name].get("dependencies", [])]
    return needed
