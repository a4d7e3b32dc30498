"""Drive a server with wrk (a second process, loopback only) and read its figures."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    # The server's own CPU time per request over the run (all its processes, not a database
    # server's), when it was measured.
    cpu_us: float | None = None


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("bench: wrk is not installed (Debian: apt-get install wrk)")
    return path


def lua_post(path: str, body: str, headers: dict[str, str]) -> str:
    lines = [
        'wrk.method = "POST"',
        f"wrk.path = {_lua_string(path)}",
        f"wrk.body = {_lua_string(body)}",
    ]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def lua_get(path: str, headers: dict[str, str]) -> str:
    lines = ['wrk.method = "GET"', f"wrk.path = {_lua_string(path)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def lua_one_time_bodies(path: str, headers: dict[str, str], bodies_file: Path) -> str:
    """Each request sends the next line of ``bodies_file``: for one-time credentials."""
    head = lua_post(path, "", headers)
    return (
        head
        + f"""
local counter = 0
local threads = {{}}
function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  bodies = {{}}
  local n = 0
  for line in io.lines({_lua_string(str(bodies_file))}) do
    if n % {{THREADS}} == index then table.insert(bodies, line) end
    n = n + 1
  end
  next_body = 1
end
function request()
  local body = bodies[next_body] or bodies[#bodies]
  next_body = next_body + 1
  return wrk.format(nil, nil, nil, body)
end
"""
    )


def lua_one_time_proofs(path: str, headers: dict[str, str], lines_file: Path, body: str) -> str:
    """Each request sends the next line of ``lines_file`` as its ``DPoP`` header (RFC 9449: a
    proof is accepted once); a line ``proof<TAB>body`` sends that body too."""
    head = lua_post(path, body, headers)
    return (
        head
        + f"""
local counter = 0
function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
end
function init(args)
  items = {{}}
  local n = 0
  for line in io.lines({_lua_string(str(lines_file))}) do
    if n % {{THREADS}} == index then table.insert(items, line) end
    n = n + 1
  end
  next_item = 1
end
function request()
  local line = items[next_item] or items[#items]
  next_item = next_item + 1
  local tab = string.find(line, "\t", 1, true)
  local body = nil
  if tab then
    body = string.sub(line, tab + 1)
    line = string.sub(line, 1, tab - 1)
  end
  wrk.headers["DPoP"] = line
  return wrk.format(nil, nil, nil, body)
end
"""
    )


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def run(
    wrk: str,
    name: str,
    url: str,
    script: str,
    workdir: Path,
    *,
    threads: int,
    connections: int,
    seconds: int,
) -> Result:
    script_path = workdir / f"{name}.lua"
    script_path.write_text(script.replace("{THREADS}", str(threads)))
    completed = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script_path),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    return parse(name, completed.stdout)


def parse(name: str, output: str) -> Result:
    rps = float(_find(r"Requests/sec:\s+([\d.]+)", output))
    total = int(_find(r"(\d+) requests in", output))
    errors = int(_find(r"Non-2xx or 3xx responses: (\d+)", output, "0"))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket:
        errors += sum(int(x) for x in socket.groups())
    return Result(name, rps, _latency("50%", output), _latency("99%", output), total, errors)


def _find(pattern: str, text: str, default: str | None = None) -> str:
    match = re.search(pattern, text)
    if match:
        return match.group(1)
    if default is not None:
        return default
    raise ValueError(f"wrk output has no {pattern!r}:\n{text}")


def _latency(percentile: str, text: str) -> float:
    match = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]
