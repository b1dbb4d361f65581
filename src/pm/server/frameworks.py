"""Refuse to start on FastAPI or Starlette versions outside the ones pm declares it supports.

pm reaches into a few framework internals (pm.api.fastroute, pm.api.stack), verified against
the versions its package metadata bounds. Installed as a library into a host's environment
(not from our lock), another version may be present: rather than misbehave, `create_app`
stops with a message saying which versions are supported.
"""

from __future__ import annotations

import functools
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from pm.server.version import DISTRIBUTION

FRAMEWORKS = ("fastapi", "starlette")


class UnsupportedFramework(ValueError):
    """The installed FastAPI or Starlette is outside the versions pm supports."""


@functools.cache
def supported() -> dict[str, Requirement]:
    """pm's own requirement on each framework, from its package metadata ({} if not installed)."""
    try:
        declared = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return {}  # run from a source tree without being installed: nothing declared to check
    found: dict[str, Requirement] = {}
    for line in declared:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.name.lower() in FRAMEWORKS and requirement.marker is None:
            found[requirement.name.lower()] = requirement
    return found


@functools.cache
def problems() -> tuple[str, ...]:
    """What is wrong with the installed frameworks (read once per process: it takes ~40 ms)."""
    found = []
    for name, requirement in supported().items():
        try:
            installed = metadata.version(name)
            ok = requirement.specifier.contains(Version(installed), prereleases=True)
        except (metadata.PackageNotFoundError, InvalidVersion):
            installed, ok = "none (or an unreadable version)", False
        if not ok:
            found.append(f"{name} {installed} is installed, pm supports {requirement}")
    return tuple(found)


def check_frameworks() -> None:
    """Raise UnsupportedFramework naming each framework whose installed version is unsupported."""
    if problems():
        raise UnsupportedFramework(
            "unsupported framework version: "
            + "; ".join(problems())
            + ". Install the supported versions (e.g. pip install "
            + " ".join(f"'{r}'" for r in supported().values())
            + ") or a pm release built for yours."
        )
