"""Perform the Dockerfile's steps outside Docker: no daemon runs on our machines.

The build stage runs as the current user (root in CI, as in Docker's build), with the host's
`uv` and its warm cache; the runtime stage keeps only what it copies from the build stage and
runs as the image's numeric `USER`. Container paths (`/app`, `/data`) live under a scratch
root. A step this module does not know how to perform fails loudly, so the Dockerfile cannot
grow a step the test silently skips.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # python:3.11-slim


@dataclass
class Instruction:
    """One Dockerfile instruction: keyword, its --flags and the rest."""

    keyword: str
    flags: dict[str, str]
    args: str


@dataclass
class Stage:
    """The instructions after one FROM."""

    base: str
    name: str | None
    steps: list[Instruction] = field(default_factory=list)


def parse(dockerfile: Path) -> list[Stage]:
    """The stages of a Dockerfile (continuations joined, comments dropped)."""
    logical: list[str] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        flags: dict[str, str] = {}
        rest = rest.strip()
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            name, _, value = flag[2:].partition("=")
            flags[name] = value
            rest = rest.strip()
        step = Instruction(keyword.upper(), flags, rest)
        if step.keyword == "FROM":
            base, _, name = rest.partition(" AS ")
            stages.append(Stage(base.strip(), name.strip() or None))
        else:
            stages[-1].steps.append(step)
    return stages


def user_of(stage: Stage) -> tuple[int, int]:
    """The numeric uid and gid of a stage's last USER (an error for a name or root)."""
    users = [step.args for step in stage.steps if step.keyword == "USER"]
    uid, _, gid = (users or ["0"])[-1].partition(":")
    if not uid.isdigit() or int(uid) == 0 or not (gid or uid).isdigit():
        raise AssertionError("the image must run as a numeric, non-root USER")
    return int(uid), int(gid or uid)


def ignored(patterns: list[str], relative: str) -> bool:
    """Whether .dockerignore patterns exclude a path (last match wins, `!` re-includes)."""
    parts = relative.split("/")
    verdict = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = _glob(pattern.removeprefix("!").strip("/"))
        # A pattern matching a parent directory matches everything inside it.
        if any(regex.fullmatch("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            verdict = not negate
    return verdict


def _glob(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out)


@dataclass
class Image:
    """What the runtime stage leaves: its environment, user, volumes and commands."""

    root: Path
    env: dict[str, str]
    uid: int
    gid: int
    volumes: list[Path]
    exposed: list[int]
    healthcheck: list[str]
    cmd: list[str]
    workdir: Path

    def as_user(self, argv: list[str]) -> list[str]:
        """`argv` run as the image's user (when we are root; otherwise as ourselves)."""
        if os.geteuid() != 0:
            return argv
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", *argv]


class Builder:
    """Performs the stages in order under a scratch root directory."""

    def __init__(self, context: Path, root: Path, python: str, uv: str) -> None:
        self.context = context
        self.root = root
        self.python = python
        self.uv = uv
        lines = (context / ".dockerignore").read_text().splitlines()
        self.ignore = [p.strip() for p in lines if p.strip() and not p.startswith("#")]
        self.created: set[str] = set()  # container directories the Dockerfile makes

    def _made(self, container_path: str, workdir: str = "/") -> Path:
        self.created.add(os.path.normpath(os.path.join(workdir, container_path)))
        return self.host(container_path, workdir)

    def host(self, container_path: str, workdir: str = "/") -> Path:
        """Where a container path lives under the scratch root."""
        absolute = os.path.normpath(os.path.join(workdir, container_path))
        return self.root / absolute.lstrip("/")

    def build(self, dockerfile: Path) -> Image:
        """Perform every stage; the last one is the image."""
        stages = parse(dockerfile)
        *builders, runtime = stages
        for stage in builders:
            self._build_stage(stage)
        return self._runtime_stage(runtime, {s.name for s in builders if s.name})

    def _env(self, env: dict[str, str], args: str, base_path: str) -> None:
        for item in shlex.split(args):
            name, _, value = item.partition("=")
            value = value.replace("${PATH}", "$PATH").replace("$PATH", env.get("PATH", base_path))
            env[name] = ":".join(
                str(self.host(p))
                if any(p == c or p.startswith(c + "/") for c in self.created)
                else p
                for p in value.split(":")
            )

    def _build_stage(self, stage: Stage) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
        }
        env["PATH"] = f"{Path(self.uv).parent}:{env['PATH']}"
        env["UV_PYTHON"] = self.python
        workdir = "/"
        for step in stage.steps:
            if step.keyword == "ENV":
                self._env(env, step.args, env["PATH"])
            elif step.keyword == "WORKDIR":
                workdir = step.args
                self._made(workdir).mkdir(parents=True, exist_ok=True)
            elif step.keyword == "COPY":
                *sources, target = shlex.split(step.args)
                for source in sources:
                    self._copy(source, self.host(target, workdir), len(sources) > 1)
            elif step.keyword == "RUN":
                self._run_build(step.args, env, self.host(workdir))
            else:
                raise AssertionError(f"tests/image.py cannot perform build step {step}")

    def _copy(self, source: str, target: Path, into: bool) -> None:
        path = self.context / source
        if not path.exists() or ignored(self.ignore, source):
            raise AssertionError(f"COPY {source}: not in the build context (see .dockerignore)")
        if path.is_file():
            destination = target / path.name if into or str(target).endswith("/") else target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            return
        for file in sorted(path.rglob("*")):
            relative = file.relative_to(self.context).as_posix()
            if file.is_file() and not ignored(self.ignore, relative):
                destination = target / file.relative_to(path)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, destination)

    def _run_build(self, command: str, env: dict[str, str], cwd: Path) -> None:
        if re.fullmatch(r"pip install --no-cache-dir uv==[0-9.]+", command):
            return  # the host's uv stands in for the pinned one
        if not command.startswith("uv "):
            raise AssertionError(f"tests/image.py cannot perform RUN {command!r}")
        done = subprocess.run(
            shlex.split(command), env=env, cwd=cwd, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise AssertionError(f"RUN {command} failed:\n{done.stdout}\n{done.stderr}")

    def _runtime_stage(self, stage: Stage, stage_names: set[str]) -> Image:
        kept = [
            step.args.split()[0]
            for step in stage.steps
            if step.keyword == "COPY" and step.flags.get("from") in stage_names
        ]
        self._keep_only([self.host(p) for p in kept])
        env = {"PATH": BASE_PATH, "LANG": "C.UTF-8"}
        ids: dict[str, int] = {}
        image = Image(self.root, env, -1, -1, [], [], [], [], self.root)
        for step in stage.steps:
            self._runtime_step(step, image, ids, stage_names)
        user_of(stage)
        for owned, uid in [(p, ids.get(f"owner:{p}")) for p in image.volumes]:
            if uid != image.uid:
                raise AssertionError(f"VOLUME {owned} is not owned by the image's user")
        env.setdefault("HOME", "/nonexistent")
        return image

    def _runtime_step(
        self, step: Instruction, image: Image, ids: dict[str, int], stage_names: set[str]
    ) -> None:
        if step.keyword == "RUN":
            for command in step.args.split("&&"):
                self._run_runtime(shlex.split(command), ids)
        elif step.keyword == "COPY":
            source, target = shlex.split(step.args)
            if step.flags.get("from") not in stage_names or source != target:
                raise AssertionError(f"COPY {step.args}: only same-path copies from a stage")
            self._made(target)
        elif step.keyword == "ENV":
            self._env(image.env, step.args, BASE_PATH)
        elif step.keyword == "VOLUME":
            image.volumes = [self.host(v) for v in json.loads(step.args)]
        elif step.keyword == "USER":
            image.uid, image.gid = user_of(Stage("", None, [step]))
        elif step.keyword == "EXPOSE":
            image.exposed = [int(p.split("/")[0]) for p in step.args.split()]
        elif step.keyword == "HEALTHCHECK":
            image.healthcheck = json.loads(step.args.removeprefix("CMD").strip())
        elif step.keyword == "CMD":
            image.cmd = json.loads(step.args)
        elif step.keyword == "WORKDIR":
            image.workdir = self.host(step.args)
        else:
            raise AssertionError(f"tests/image.py cannot perform runtime step {step}")

    def _run_runtime(self, argv: list[str], ids: dict[str, int]) -> None:
        program, args = argv[0], argv[1:]

        def option(name: str) -> str:
            return args[args.index(name) + 1]

        if program == "groupadd":
            ids[f"group:{args[-1]}"] = int(option("--gid"))
        elif program == "useradd":
            ids[f"user:{args[-1]}"] = int(option("--uid"))
        elif program == "mkdir":
            for path in args:
                self._made(path).mkdir(parents=True, exist_ok=True)
        elif program == "chown":
            user, _, group = args[0].partition(":")
            uid, gid = ids[f"user:{user}"], ids[f"group:{group or user}"]
            for path in args[1:]:
                if os.geteuid() == 0:
                    os.chown(self.host(path), uid, gid)
                ids[f"owner:{self.host(path)}"] = uid
        else:
            raise AssertionError(f"tests/image.py cannot perform RUN {shlex.join(argv)}")

    def _keep_only(self, kept: list[Path]) -> None:
        """Remove everything under the root that the runtime stage does not copy."""

        def prune(directory: Path) -> None:
            for child in directory.iterdir():
                if child in kept:
                    continue
                if any(child in k.parents for k in kept):
                    prune(child)
                elif child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()

        prune(self.root)
