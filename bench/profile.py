"""Where our server spends its time under one REST scenario: py-spy on the live process.

    uv run python -m bench.profile get|post|patch|list [--seconds 10] [--top 25]

Seeds a server as the REST benchmark does, puts the scenario's load on it from a pinned
load process and samples the server with `py-spy record --format raw` meanwhile. Prints
the functions with the most samples: "self" (on top of the stack) and "total" (anywhere on
it), in % of the samples where the server was busy. The raw stacks stay in the work dir
(`--keep`) for a flame graph (e.g. speedscope or inferno).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from bench import rest
from bench.load import Job, run_separately
from bench.servers import stop, use_revision

SCENARIOS = {
    "get": "GET by id",
    "post": "POST create",
    "patch": "PATCH status",
    "list": "list 50 of 100k",
}
# Worker threads waiting for work (asyncio.to_thread's pool) are not busy.
_IDLE = frozenset({"_worker (concurrent/futures/thread.py)", "wait (threading.py)"})
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def _area(name: str) -> str:
    """The package (or, for ours, the layer) a function belongs to."""
    path = name.rpartition("(")[2].rstrip(")")
    parts = path.split("/")
    if parts[0] == "pm" and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0].removesuffix(".py")


def summarise(raw: str, top: int) -> str:
    """Self and total shares per function (and self per package) from py-spy's raw stacks."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_name(f) for f in stack.split(";")]
        if frames[-1] in _IDLE:
            continue
        samples += n
        own[frames[-1]] += n
        areas[_area(frames[-1])] += n
        for name in set(frames):
            total[name] += n
    if not samples:
        return "no samples (is the server busy? may py-spy ptrace it?)"
    lines = [f"{samples} samples", "", f"{'self %':>7}  package or layer"]
    lines += [f"{100 * n / samples:7.1f}  {name}" for name, n in areas.most_common(15)]
    lines += ["", f"{'self %':>7}  function (file)"]
    lines += [f"{100 * n / samples:7.1f}  {name}" for name, n in own.most_common(top)]
    lines += ["", f"{'total %':>7}  function (file)"]
    lines += [f"{100 * n / samples:7.1f}  {name}" for name, n in total.most_common(top)]
    return "\n".join(lines)


def _name(frame: str) -> str:
    match = _FRAME.match(frame)
    if match is None:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


def main() -> None:
    """Profile one scenario."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep", type=Path, default=None, help="keep the raw stacks here")
    parser.add_argument("--rev", help="profile src/ of this git revision, not the work tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pm-profile-") as tmp:
        work = Path(tmp)
        if args.rev:
            use_revision(args.rev, work / "source")
        setup = rest.prepare(work, large=100_000)
        try:
            scenario = next(
                s
                for s in rest.scenarios(setup, 0, args.seconds + 2, 0.5)
                if s.name == SCENARIOS[args.scenario]
            )
            load = threading.Thread(
                target=run_separately,
                args=("127.0.0.1", [Job(setup.pm.port, scenario)], work / "spec.json"),
            )
            load.start()
            raw = args.keep or work / "stacks.txt"
            spy = Path(sys.executable).parent / "py-spy"
            command = [str(spy), "record", "--pid", str(setup.pm.pid), "--format", "raw"]
            command += ["--duration", str(int(args.seconds)), "--output", str(raw)]
            command += ["--rate", "250"]
            subprocess.run(
                command,
                check=True,
                capture_output=True,
            )
            load.join()
            print(summarise(raw.read_text(), args.top))
        finally:
            stop(setup.pm)
            stop(setup.baseline)


if __name__ == "__main__":
    main()
