"""The version of pm that is running (from its package metadata)."""

from __future__ import annotations

import functools
from importlib import metadata

DISTRIBUTION = "pm-backend"


@functools.cache
def version() -> str:
    """pm's version, e.g. `0.1.0` (`0+unknown` when run from a source tree not installed)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"
