"""Several sellergate nodes for ``python -m bench --nodes 1 2``: one against two.

Each node is a ``sellergate serve`` process on its own port, all on the same database and (with
more than one node) the same Redis, as in a deployment. There is no load balancer in between:
one wrk per node, started together, each with its share of the connections, and their figures
added up (requests per second) or taken at the worst (p99).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import wrk


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"bench: the server at {url} did not start")


@dataclass(frozen=True)
class Served:
    urls: list[str]
    pids: list[int]


@contextlib.contextmanager
def serving(count: int, workers: int, env: dict[str, str]) -> Iterator[Served]:
    """``count`` nodes: their base URLs and server PIDs. Stopped (SIGTERM, by PID) on the way
    out."""
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(count):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "sellergate"),
                        "serve",
                        "--host", "127.0.0.1",
                        "--port", str(port),
                        "--workers", str(workers),
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )  # fmt: skip
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_until_up(url)
        yield Served(urls, [process.pid for process in processes])
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


@contextlib.contextmanager
def throwaway_redis() -> Iterator[str]:
    """A ``redis-server`` of the benchmark's own on loopback, without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("bench: redis-server is not installed; or pass --redis-url")
    directory = tempfile.mkdtemp(prefix="sellergate-bench-redis-")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", directory],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("bench: redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


def worker_rss_mb(pid: int) -> list[float]:
    """Resident memory of each process of a server that answers requests: the workers uvicorn
    started (not multiprocessing's resource tracker), or the server itself when it runs one
    worker (Linux /proc)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    workers = []
    for child in children:
        try:
            if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                workers.append(int(child))
        except OSError:
            continue
    sizes = []
    for worker in workers or [pid]:
        try:
            status = Path(f"/proc/{worker}/status").read_text()
        except OSError:
            continue
        kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
        sizes.append(int(kib) / 1024)
    return sizes


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc), 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # After the command's closing parenthesis: utime and stime are the 12th and 13th fields.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(pids: list[int]) -> float:
    """CPU time used so far by the servers with these PIDs and their workers."""
    total = 0.0
    for pid in pids:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        total += _cpu_seconds(pid) + sum(_cpu_seconds(int(child)) for child in children)
    return total


def spread(runs: list[Callable[[], wrk.Result]], pids: list[int] | None = None) -> wrk.Result:
    """Run one wrk per node at once; the figures of the whole, with the CPU the servers with
    ``pids`` spent per request if they are given."""
    started = server_cpu_seconds(pids) if pids else 0.0
    with ThreadPoolExecutor(len(runs)) as pool:
        futures = [pool.submit(run) for run in runs]
        results: list[wrk.Result] = [future.result() for future in futures]
    total = sum(r.requests for r in results)
    cpu_us = None
    if pids and total:
        cpu_us = (server_cpu_seconds(pids) - started) / total * 1e6
    if len(results) == 1:
        return dataclasses.replace(results[0], cpu_us=cpu_us)
    return wrk.Result(
        name=results[0].name,
        requests_per_second=sum(r.requests_per_second for r in results),
        # The median of the whole is near the request-weighted mean of the medians.
        p50_ms=sum(r.p50_ms * r.requests for r in results) / max(total, 1),
        p99_ms=max(r.p99_ms for r in results),
        requests=total,
        errors=sum(r.errors for r in results),
        cpu_us=cpu_us,
    )
