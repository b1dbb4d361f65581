"""Where the client finds its server and token: named profiles, overridden by the environment.

The file is `$XDG_CONFIG_HOME/pm/config.toml` (default `~/.config/pm/config.toml`), mode
0600, one table per profile:

    default_profile = "default"
    [profiles.default]
    server = "http://localhost:3000"
    token = "eyJ..."

`PM_SERVER_URL` and `PM_TOKEN` override the profile's values; `PM_PROFILE` picks a profile.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

DEFAULT_PROFILE = "default"


class ConfigError(Exception):
    """The configuration cannot give a server and a token (the message says what to do)."""


@dataclass(frozen=True, slots=True)
class Connection:
    """A server to talk to and the bearer token to talk with."""

    server: str
    token: str
    profile: str


def config_path() -> Path:
    """The configuration file (it may not exist yet)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "pm" / "config.toml"


def _read(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or delete it") from None


def _profiles(data: dict[str, object]) -> dict[str, dict[str, object]]:
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        return {}
    return {str(k): v for k, v in profiles.items() if isinstance(v, dict)}


def save_profile(server: str, token: str, profile: str = DEFAULT_PROFILE) -> Path:
    """Store a profile (the first one stored becomes the default); the file is mode 0600."""
    path = config_path()
    data = _read(path)
    profiles = _profiles(data)
    profiles[profile] = {"server": server.rstrip("/"), "token": token}
    data["profiles"] = profiles
    data.setdefault("default_profile", profile)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        tomli_w.dump(data, out)
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


def load(profile: str | None = None) -> Connection:
    """The connection to use: the profile's values, each overridden by the environment."""
    data = _read(config_path())
    chosen = (
        profile or os.environ.get("PM_PROFILE") or str(data.get("default_profile", DEFAULT_PROFILE))
    )
    stored = _profiles(data).get(chosen, {})
    if profile is not None and not stored and profile != DEFAULT_PROFILE:
        raise ConfigError(f"no profile {profile!r} in {config_path()}; run `pm login --profile`")
    server = os.environ.get("PM_SERVER_URL") or str(stored.get("server", ""))
    token = os.environ.get("PM_TOKEN") or str(stored.get("token", ""))
    if not server or not token:
        raise ConfigError(
            "not logged in: run `pm login --server URL --token JWT` "
            "(or set PM_SERVER_URL and PM_TOKEN)"
        )
    return Connection(server.rstrip("/"), token, chosen)
