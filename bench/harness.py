"""Shared pieces of the benchmarks: serving an app with gunicorn and loading it with wrk."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
VENV_BIN = Path(sys.executable).parent


@dataclass
class LoadResult:
    """What one wrk run measured."""

    requests: int
    seconds: float
    non_2xx: int
    timeouts: int
    p50_ms: float
    p99_ms: float

    @property
    def throughput(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port}")


@contextmanager
def gunicorn(app_spec: str, env: dict, workers: int = 2):
    """Serve a WSGI app with gunicorn on 127.0.0.1; yields (base url, process)."""
    port = free_port()
    command = [
        str(VENV_BIN / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timeout",
        "60",
        # gunicorn's default control socket is one path per user: servers side by side clash
        "--no-control-socket",
        app_spec,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        _wait_for(port)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wrk_available() -> bool:
    """True when Debian's wrk is installed."""
    return shutil.which("wrk") is not None


def wrk_post(
    url: str, body_template: str, token: str | None, seconds: int, connections: int = 16
) -> LoadResult:
    """POST bodies (a fresh UUID in each) with wrk: 2 threads, `connections` clients."""
    env = {**os.environ, "BODY_TEMPLATE": body_template, "BENCH_TOKEN": token or ""}
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(ROOT / "bench" / "post.lua"),
            url,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    match = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, micros, non_2xx, timeouts, p50, p99, _mean = (int(x) for x in match.groups())
    return LoadResult(requests, micros / 1e6, non_2xx, timeouts, p50 / 1000, p99 / 1000)


def machine_description() -> str:
    """CPU model, cores and memory of this machine."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        memory_kb = 0
    return f"{model}, {os.cpu_count()} cores, {memory_kb // 1024 // 1024} GiB"


def python_speed() -> float:
    """Seconds a fixed pure-Python loop takes here (best of 3), to compare machines and moments.

    The goals in milliseconds and seconds are absolute; this figure says how fast the
    machine was during the run, so two runs' tables can be read side by side.
    """
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        total = 0
        for number in range(5_000_000):
            total += number * number
        best = min(best, time.perf_counter() - began)
    return best
