"""compose.yaml and the proxy config it mounts: what would break a user's scale-out.

No Docker daemon runs here, so the file is read as Compose reads it (YAML, `${VAR:?…}`
interpolation) and checked for the mistakes that would only show in production: instances
that do not share the database, Redis or JWT secret, a setting name the server does not
know, a proxy that pins clients to one instance or drops the WebSocket upgrade, services
started before what they need is healthy. `docker compose config` (when the plugin is
installed) and `nginx -t` (when nginx is) check the same files with the real parsers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from pm.server.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "compose.yaml"
HOST_ENV = {"JWT_SECRET": "s" * 64, "POSTGRES_PASSWORD": "0123456789abcdef"}
_VAR = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


class Unset(Exception):
    """A `${VAR:?message}` whose variable is not set: Compose refuses to start."""


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable interpolation, for the forms this file may use."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if name in env and (env[name] or op not in (":-", ":?")):
            return env[name]
        if op in ("-", ":-"):
            return arg
        if op in ("?", ":?"):
            raise Unset(f"{name}: {arg}")
        return ""

    return _VAR.sub(one, value)


def raw() -> dict[str, Any]:
    """compose.yaml as written (anchors and merge keys resolved, variables not)."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    """compose.yaml as Compose would run it with `env` as the host's environment."""
    out: dict[str, Any] = interpolate(raw(), HOST_ENV if env is None else env)
    return out


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment, from either of Compose's spellings."""
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def instances(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The pm instances: the services built from the repository's Dockerfile."""
    return {name: s for name, s in services.items() if "build" in s}


def depends(service: dict[str, Any]) -> dict[str, str]:
    """What a service waits for, and on which condition."""
    value = service.get("depends_on", {})
    if isinstance(value, list):
        return dict.fromkeys(value, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in value.items()}


# --- nginx's configuration, as blocks of directives -----------------------------------


@dataclass
class Directive:
    """`name args...;` or `name args... { children }`."""

    name: str
    args: list[str]
    children: list[Directive] = field(default_factory=list)

    def all(self, name: str) -> list[Directive]:
        """Every directive of that name, at any depth below this one."""
        found = []
        for child in self.children:
            if child.name == name:
                found.append(child)
            found += child.all(name)
        return found


_TOKEN = re.compile(r"""'[^']*'|"[^"]*"|[{};]|[^\s{};'"]+""")


def nginx(text: str) -> Directive:
    """Parse nginx's configuration syntax (comments dropped, quotes removed)."""
    text = re.sub(r"#[^\n]*", "", text)
    root = Directive("", [])
    stack, words = [root], []
    for token in _TOKEN.findall(text):
        if token in (";", "{"):
            node = Directive(words[0], words[1:])
            stack[-1].children.append(node)
            if token == "{":
                stack.append(node)
            words = []
        elif token == "}":
            assert not words, f"missing ';' before '}}': {words}"
            stack.pop()
        else:
            words.append(token.strip("'\""))
    assert len(stack) == 1, "unbalanced braces"
    assert not words, "a missing ';' at the end"
    return root


def proxy_config(services: dict[str, Any]) -> tuple[Path, Directive]:
    """The nginx config file the proxy service mounts, and its directives."""
    for volume in services["proxy"]["volumes"]:
        source, target = volume.split(":")[:2]
        if target.startswith("/etc/nginx/"):
            path = (ROOT / source).resolve()
            assert path.is_file(), f"the proxy mounts {source}, which does not exist"
            return path, nginx(path.read_text())
    raise AssertionError("the proxy mounts no nginx configuration")


# --- the checks -----------------------------------------------------------------------


def test_two_instances_share_the_database_redis_and_jwt_secret() -> None:
    services = compose()["services"]
    pms = instances(services)
    assert len(pms) >= 2, f"two pm instances at least, got {sorted(pms)}"
    envs = [environment(s) for s in pms.values()]
    for name in ("DATABASE_URL", "BROADCAST_URL", "JWT_SECRET"):
        values = {e.get(name) for e in envs}
        assert len(values) == 1, f"{name} differs: {values}"
        assert None not in values, f"{name} is missing"
    first = envs[0]
    for pm in pms.values():
        assert (ROOT / pm["build"]["context"] / pm["build"]["dockerfile"]).resolve() == (
            ROOT / "Dockerfile"
        )
    # Each points at the service of this file that provides it.
    db = urlsplit(first["DATABASE_URL"])
    assert (db.scheme, db.hostname) == ("postgresql", "postgres")
    pg = environment(services["postgres"])
    assert (db.username, db.password, db.path.lstrip("/")) == (
        pg["POSTGRES_USER"],
        pg["POSTGRES_PASSWORD"],
        pg["POSTGRES_DB"],
    )
    assert (db.port or 5432) == 5432
    bus = urlsplit(first["BROADCAST_URL"])
    assert (bus.scheme, bus.hostname, bus.port or 6379) == ("redis", "redis", 6379)


def test_the_server_knows_every_setting_it_is_given() -> None:
    services = compose()["services"]
    known = {name.upper() for name in Settings.model_fields}
    for name, pm in instances(services).items():
        env = environment(pm)
        unknown = set(env) - known
        assert not unknown, f"{name}: not settings of the server: {unknown}"
        settings = Settings(**{k.lower(): v for k, v in env.items()})  # validates each value
        assert None not in (settings.database_url, settings.broadcast_url, settings.jwt_secret)


def test_no_secret_is_committed_and_none_defaults() -> None:
    pm = next(iter(instances(raw()["services"]).values()))
    for name in ("JWT_SECRET",):
        assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", environment(pm)[name]), (
            f"{name} must be required from the host (${{VAR:?why}}), never a committed value"
        )
    assert "${POSTGRES_PASSWORD:?" in environment(pm)["DATABASE_URL"]
    assert re.fullmatch(
        r"\$\{\w+:\?[^}]+\}", environment(raw()["services"]["postgres"])["POSTGRES_PASSWORD"]
    )
    for missing in ("JWT_SECRET", "POSTGRES_PASSWORD"):
        env = {k: v for k, v in HOST_ENV.items() if k != missing}
        with pytest.raises(Unset, match=missing):
            compose(env)
        with pytest.raises(Unset, match=missing):
            compose({**env, missing: ""})  # set but empty is refused too


def test_services_start_once_what_they_need_is_healthy() -> None:
    services = compose()["services"]
    pms = instances(services)
    for name, pm in pms.items():
        assert depends(pm) == {
            "postgres": "service_healthy",
            "redis": "service_healthy",
        }, name
    assert depends(services["proxy"]) == dict.fromkeys(pms, "service_healthy")
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test"), f"{name} has no health check"
        assert not check.get("disable"), f"{name}'s health check is disabled"
    for name, pm in pms.items():
        port = environment(pm).get("SERVER_PORT", "3000")
        probe = " ".join(pm["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/ready" in probe, f"{name}: health check misses /ready"


def test_only_the_proxy_is_published_on_the_port_nginx_listens_on() -> None:
    services = compose()["services"]
    for name, pm in instances(services).items():
        assert not pm.get("ports"), f"{name} is published: clients must go through the proxy"
        assert environment(pm).get("SERVER_PORT", "3000") in map(str, pm.get("expose", ["3000"]))
    for name in ("postgres", "redis"):
        assert not services[name].get("ports"), f"{name} need not be reachable from outside"
    (published,) = services["proxy"]["ports"]
    host, container = str(published).rsplit(":", 1)
    assert host == "3000"
    assert compose({**HOST_ENV, "PM_PORT": "8088"})["services"]["proxy"]["ports"] == ["8088:80"]
    _, conf = proxy_config(services)
    listens = [d.args[0] for d in conf.all("listen")]
    assert listens == [container], f"nginx listens on {listens}, compose publishes {container}"


def test_the_proxy_round_robins_over_every_instance_and_passes_websockets() -> None:
    services = compose()["services"]
    pms = instances(services)
    _, conf = proxy_config(services)
    (upstream,) = conf.all("upstream")
    servers = [d.args[0] for d in upstream.children if d.name == "server"]
    expected = [f"{n}:{environment(s).get('SERVER_PORT', '3000')}" for n, s in pms.items()]
    assert sorted(servers) == sorted(expected)
    pinning = {"ip_hash", "hash", "sticky", "sticky_cookie_insert", "route"}
    assert not [d.name for d in upstream.children if d.name in pinning], "no sticky sessions"
    assert not [d for d in conf.all("server") if "backup" in d.args or "down" in d.args]

    locations = {d.args[-1]: d for d in conf.all("location")}
    for path in ("/ws", "/"):
        block = locations[path]
        (target,) = [d.args for d in block.children if d.name == "proxy_pass"]
        assert target == [f"http://{upstream.args[0]}"], path
        (version,) = [d.args for d in block.children if d.name == "proxy_http_version"]
        assert version == ["1.1"], path
        # A block with any proxy_set_header of its own inherits none from above.
        headers = {d.args[0].lower(): d.args[1] for d in block.all("proxy_set_header")}
        assert headers.get("host") == "$host", path
    ws = {d.args[0].lower(): d.args[1] for d in locations["/ws"].all("proxy_set_header")}
    assert ws["upgrade"] == "$http_upgrade"
    connection = ws["connection"]
    if connection.startswith("$") and connection != "$http_connection":
        (mapping,) = [m for m in conf.all("map") if m.args[1] == connection]
        assert mapping.args[0] == "$http_upgrade"
        assert {d.name: d.args[0] for d in mapping.children}["default"] == "upgrade"
    else:
        assert connection.lower() in ("upgrade", "$http_connection")
    timeouts = [d.args[0] for d in locations["/ws"].children if d.name == "proxy_read_timeout"]
    assert all(int(t.rstrip("s")) > 20 for t in timeouts), "must outlast WS_PING_INTERVAL"


def _docker_compose() -> list[str]:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    pytest.skip("the docker compose plugin is not installed")


def test_docker_compose_reads_the_file_the_same_way() -> None:
    argv = _docker_compose()
    done = subprocess.run(
        [*argv, "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **HOST_ENV},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)["services"]
    ours = compose()["services"]
    assert set(theirs) == set(ours)
    for name in instances(ours):
        assert environment(theirs[name]) == environment(ours[name])


def test_nginx_accepts_the_proxy_config(tmp_path: Path) -> None:
    binary = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if binary is None:
        pytest.skip("nginx is not installed")
    services = compose()["services"]
    path, _ = proxy_config(services)
    text = path.read_text()
    for name in instances(services):  # their names only resolve inside Compose's network
        text = re.sub(rf"server\s+{name}:", "server 127.0.0.1:", text)
    text = text.replace("listen 80;", "listen 127.0.0.1:1;")
    (tmp_path / "pm.conf").write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/pm.conf; }}\n"
    )
    done = subprocess.run(
        [binary, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
