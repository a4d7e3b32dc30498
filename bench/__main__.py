"""``python -m bench``: start sellergate, load it from wrk on loopback, print ratios.

Every scenario is measured in the same run as ``/healthz`` (the baseline: the server's
ceiling for a request that does no work), so the ratios hold on a noisy shared machine
even when the absolute figures move. Load is bounded: each scenario runs ``--seconds``.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import wrk
from bench.fixtures import seed
from sellergate.config import load_settings
from sellergate.storage.database import Database
from sellergate.storage.migrate import upgrade

ORDERS_PAGE = """{ orders(first: 50) { edges { node { id status createdAt
  total { amount currency }
  lineItems { title sku quantity unitPrice { amount currency } }
  customer { name email phone shippingAddress { city countryCode } } } }
  pageInfo { hasNextPage endCursor } } }"""
# The most expensive document the default cost limit allows: a full page of 100 orders with
# everything under them (cost about 18,500 of 20,000).
HEAVY_QUERY = """{ orders(first: 100) { edges { node { id status createdAt
  total { amount currency }
  lineItems { title quantity unitPrice { amount currency }
    listing { id status variant { id sku price { amount } } product { title } } }
  customer { name email shippingAddress { city } }
  trackingCodes { code carrier } } }
  pageInfo { endCursor } } }"""
SCENARIOS = (
    "healthz",
    "graphql_me",
    "graphql_me_oauth",
    "introspect",
    "refresh",
    "orders_page",
    "heavy_query",
)
# heavy_query: two clients run HEAVY_QUERY back to back while /healthz is measured; the
# figure that matters is /healthz's p99 (it should stay under 50 ms).
HEAVY_CLIENTS = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each scenario")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, help="run these scenarios")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    args = parser.parse_args()
    wrk_path = wrk.require_wrk()
    chosen = args.only or list(SCENARIOS)
    if "healthz" not in chosen:
        chosen.insert(0, "healthz")

    with tempfile.TemporaryDirectory(prefix="sellergate-bench-") as tmp:
        workdir = Path(tmp)
        env = {
            **os.environ,
            "SELLERGATE_DATA_DIR": str(workdir),
            "SELLERGATE_DATABASE_URL": args.database_url or f"sqlite:///{workdir}/bench.db",
            "SELLERGATE_LOG_LEVEL": "warning",
        }
        os.environ.update({k: v for k, v in env.items() if k.startswith("SELLERGATE_")})
        settings = load_settings()
        db = Database(settings)
        upgrade(db.engine)
        # Enough one-time refresh tokens for the refresh scenario at several thousand per second.
        refresh_count = 4000 * args.seconds if "refresh" in chosen else 0
        print(f"seeding ({refresh_count} refresh tokens)...", file=sys.stderr)
        seeded = seed(
            settings,
            db,
            refresh_tokens=refresh_count,
            orders_seller=bool({"orders_page", "heavy_query"} & set(chosen)),
        )
        db.dispose()

        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "sellergate"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(url)
            results = [_scenario(name, url, seeded, workdir, wrk_path, args) for name in chosen]
        finally:
            server.terminate()
            server.wait(timeout=30)
    _report(results, args)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("bench: the server did not start")


def _scenario(
    name: str, url: str, seeded: object, workdir: Path, wrk_path: str, args: argparse.Namespace
) -> wrk.Result:
    from bench.fixtures import Seeded

    assert isinstance(seeded, Seeded)
    basic = base64.b64encode(f"{seeded.client_id}:{seeded.client_secret}".encode()).decode()
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"}
    if name == "heavy_query":
        return _heavy_query(url, seeded, workdir, wrk_path, args)
    if name == "healthz":
        script, path = "", "/healthz"
    elif name in ("graphql_me", "graphql_me_oauth", "orders_page"):
        token = seeded.oauth_access_token if name == "graphql_me_oauth" else seeded.personal_token
        query = ORDERS_PAGE if name == "orders_page" else "{ me { id username } }"
        path = "/seller-api/graphql"
        script = wrk.lua_post(
            path,
            json.dumps({"query": query}),
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        _check(
            url,
            path,
            json.dumps({"query": query}),
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
    elif name == "introspect":
        path = "/seller-api/rest/oauth/introspect"
        body = urlencode({"token": seeded.oauth_access_token})
        script = wrk.lua_post(path, body, form)
        _check(url, path, body, form, expect='"active":true')
    else:
        path = "/seller-api/rest/oauth/token"
        bodies = workdir / "refresh.txt"
        first, rest = seeded.refresh_tokens[0], seeded.refresh_tokens[1:]
        _check(
            url,
            path,
            urlencode({"grant_type": "refresh_token", "refresh_token": first}),
            form,
            expect="access_token",
        )
        bodies.write_text(
            "\n".join(urlencode({"grant_type": "refresh_token", "refresh_token": t}) for t in rest)
            + "\n"
        )
        script = wrk.lua_one_time_bodies(path, form, bodies)
    print(f"running {name} for {args.seconds}s...", file=sys.stderr)
    return wrk.run(
        wrk_path,
        name,
        url + path,
        script,
        workdir,
        threads=args.threads,
        connections=args.connections,
        seconds=args.seconds,
    )


def _heavy_query(
    url: str, seeded: object, workdir: Path, wrk_path: str, args: argparse.Namespace
) -> wrk.Result:
    """``/healthz`` measured while :data:`HEAVY_CLIENTS` clients run :data:`HEAVY_QUERY`."""
    from bench.fixtures import Seeded

    assert isinstance(seeded, Seeded)
    path = "/seller-api/graphql"
    body = json.dumps({"query": HEAVY_QUERY})
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {seeded.personal_token}",
    }
    _check(url, path, body, headers)
    heavy: list[wrk.Result] = []
    load = threading.Thread(
        target=lambda: heavy.append(
            wrk.run(
                wrk_path,
                "heavy_query_load",
                url + path,
                wrk.lua_post(path, body, headers),
                workdir,
                threads=1,
                connections=HEAVY_CLIENTS,
                seconds=args.seconds,
            )
        )
    )
    print(f"running heavy_query for {args.seconds}s...", file=sys.stderr)
    load.start()
    try:
        time.sleep(0.5)  # the heavy clients are running before /healthz is measured
        probe = wrk.run(
            wrk_path,
            "heavy_query",
            url + "/healthz",
            "",
            workdir,
            threads=1,
            connections=4,
            seconds=max(1, args.seconds - 1),
        )
    finally:
        load.join()
    if heavy:
        print(
            f"heavy_query: {HEAVY_CLIENTS} clients ran {heavy[0].requests_per_second:.1f} "
            f"heavy queries/s (p50 {heavy[0].p50_ms:.0f} ms); the row below is /healthz "
            "meanwhile",
            file=sys.stderr,
        )
    return probe


def _check(url: str, path: str, body: str, headers: dict[str, str], expect: str = "") -> None:
    """One request before the load: a scenario that fails would measure error pages."""
    response = httpx.post(url + path, content=body, headers=headers, timeout=30)
    if response.status_code != 200 or expect not in response.text or '"errors"' in response.text:
        raise SystemExit(f"bench: {path} answered {response.status_code}: {response.text[:300]}")


def _report(results: list[wrk.Result], args: argparse.Namespace) -> None:
    baseline = results[0].requests_per_second
    if args.json:
        print(
            json.dumps(
                [
                    {**r.__dict__, "ratio_to_healthz": r.requests_per_second / baseline}
                    for r in results
                ]
            )
        )
        return
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.seconds}s, "
        f"{args.workers} server worker(s), {args.database_url.split(':')[0] or 'sqlite'}"
    )
    print(f"{'scenario':<18}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'vs healthz':>12}{'errors':>8}")
    for r in results:
        print(
            f"{r.name:<18}{r.requests_per_second:>10.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
            f"{r.requests_per_second / baseline:>11.2f}x{r.errors:>8}"
        )


if __name__ == "__main__":
    main()
