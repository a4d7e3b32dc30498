"""``python -m bench``: start sellergate, load it from wrk on loopback, print ratios.

Every scenario is measured in the same run as ``/healthz`` (the baseline: the server's
ceiling for a request that does no work), so the ratios hold on a noisy shared machine
even when the absolute figures move. Load is bounded: each scenario runs ``--seconds``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import dpop, nodes, wrk
from bench.fixtures import GATEWAY_ROUTES, UNLIMITED, seed
from bench.postgres import throwaway_postgres
from sellergate.config import Settings, load_settings
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
    "graphql_me_dpop",
    "gateway_verify",
    "introspect",
    "refresh",
    "refresh_dpop",
    "orders_page",
    "heavy_query",
)
# heavy_query: two clients run HEAVY_QUERY back to back while /healthz is measured; the
# figure that matters is /healthz's p99 (it should stay under 50 ms).
HEAVY_CLIENTS = 2


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each scenario")
    parser.add_argument(
        "--warmup",
        type=int,
        default=3,
        help="seconds of the same load, not measured, before each scenario (not before refresh, "
        "whose one-time tokens are counted): fills the connection pools, the worker threads and "
        "the per-process caches, as the peers' runs do (default 3)",
    )
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument(
        "--nodes",
        type=int,
        nargs="+",
        default=[1],
        help="node counts to measure in turn, e.g. '1 2' (one node against two); with more "
        "than one node, rate limits live in Redis",
    )
    parser.add_argument(
        "--postgres", action="store_true", help="start a throwaway PostgreSQL for the run"
    )
    parser.add_argument(
        "--redis-url", default="", help="Redis for the nodes (default: a throwaway redis-server)"
    )
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, help="run these scenarios")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument(
        "--log-level",
        default="info",
        help="the server's SELLERGATE_LOG_LEVEL (default info, as deployed: the access log on, "
        "one JSON line a request)",
    )
    args = parser.parse_args()
    wrk_path = wrk.require_wrk()
    chosen = args.only or list(SCENARIOS)
    if "healthz" not in chosen:
        chosen.insert(0, "healthz")
    if max(args.nodes) > 1 and not (args.postgres or args.database_url.startswith("postgres")):
        raise SystemExit(
            "bench: several nodes share a database: pass --postgres or --database-url postgresql://"
        )

    with (
        tempfile.TemporaryDirectory(prefix="sellergate-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        if args.postgres:
            args.database_url = stack.enter_context(throwaway_postgres())
        env = {
            **os.environ,
            "SELLERGATE_DATA_DIR": str(workdir),
            "SELLERGATE_DATABASE_URL": args.database_url or f"sqlite:///{workdir}/bench.db",
            "SELLERGATE_LOG_LEVEL": args.log_level,
            "SELLERGATE_RATE_LIMIT_TOKEN": UNLIMITED,
            "SELLERGATE_RATE_LIMIT_APP": UNLIMITED,
            "SELLERGATE_RATE_LIMIT_CLIENT": UNLIMITED,
            "SELLERGATE_RATE_LIMIT_ADDRESS": UNLIMITED,
            "SELLERGATE_GATEWAY_ROUTES": str(workdir / "gateway-routes.toml"),
        }
        (workdir / "gateway-routes.toml").write_text(GATEWAY_ROUTES)
        if args.redis_url or max(args.nodes) > 1:
            env["SELLERGATE_REDIS_URL"] = args.redis_url or stack.enter_context(
                nodes.throwaway_redis()
            )
        os.environ.update({k: v for k, v in env.items() if k.startswith("SELLERGATE_")})
        settings = load_settings()
        db = Database(settings)
        upgrade(db.engine)
        # Enough one-time refresh tokens for the refresh scenario at several thousand per second,
        # for every node count measured.
        per_run = 4000 * args.seconds if "refresh" in chosen else 0
        per_dpop_run = 4000 * args.seconds if "refresh_dpop" in chosen else 0
        print(
            f"seeding ({(per_run + per_dpop_run) * len(args.nodes)} refresh tokens)...",
            file=sys.stderr,
        )
        seeded = seed(
            settings,
            db,
            refresh_tokens=per_run * len(args.nodes),
            orders_seller=bool({"orders_page", "heavy_query"} & set(chosen)),
            dpop_refresh_tokens=per_dpop_run * len(args.nodes),
        )
        db.dispose()
        print(_configuration(settings, args), file=sys.stderr if args.json else sys.stdout)
        if {"graphql_me_dpop", "refresh_dpop"} & set(chosen) and seeded.dpop_key is not None:
            api = settings.public_url + "/seller-api/graphql"
            cost = dpop.verification_cost_us(seeded.dpop_key, api, seeded.dpop_access_token)
            print(f"checking one ES256 DPoP proof costs {cost:.0f} us of CPU", file=sys.stderr)

        measured: dict[int, list[wrk.Result]] = {}
        rss: dict[int, list[float]] = {}
        for run, count in enumerate(args.nodes):
            tokens = seeded.refresh_tokens[run * per_run : (run + 1) * per_run]
            bound = seeded.dpop_refresh_tokens[run * per_dpop_run : (run + 1) * per_dpop_run]
            this_run = dataclasses.replace(seeded, refresh_tokens=tokens, dpop_refresh_tokens=bound)
            with nodes.serving(count, args.workers, env) as served:
                measured[count] = []
                for name in chosen:
                    before = _batch_sizes(served.urls)
                    measured[count].append(
                        _scenario(name, served, this_run, workdir, wrk_path, args)
                    )
                    _print_batches(name, before, _batch_sizes(served.urls))
                rss[count] = [size for pid in served.pids for size in nodes.worker_rss_mb(pid)]
    if args.json:
        print(
            json.dumps(
                [row for count, res in measured.items() for row in _rows(res, count, rss[count])]
            )
        )
        return
    for count, results in measured.items():
        _report(results, args, count, rss[count])
    if len(measured) > 1:
        _compare(measured)


BATCH_LINE = re.compile(r'^sellergate_lookup_batch_size_(sum|count)\{lookup="(\w+)"\} (\S+)$')


def _batch_sizes(urls: list[str]) -> dict[tuple[str, str], float]:
    """The coalesced lookups' batch-size totals of every node (web.lookups), from /metrics."""
    totals: dict[tuple[str, str], float] = {}
    for url in urls:
        for line in httpx.get(url + "/metrics", timeout=30).text.splitlines():
            match = BATCH_LINE.match(line)
            if match:
                key = (match[2], match[1])
                totals[key] = totals.get(key, 0.0) + float(match[3])
    return totals


def _print_batches(
    name: str, before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]
) -> None:
    for lookup in sorted({lookup for lookup, _ in after}):
        batches = after[(lookup, "count")] - before.get((lookup, "count"), 0.0)
        requests = after[(lookup, "sum")] - before.get((lookup, "sum"), 0.0)
        if batches:
            print(
                f"  {name}: {lookup} lookups coalesced, {requests:.0f} requests in "
                f"{batches:.0f} batches, {requests / batches:.1f} per batch",
                file=sys.stderr,
            )


def _configuration(settings: Settings, args: argparse.Namespace) -> str:
    """What the server ran with: the defaults a deployment gets, but for the budgets."""
    return (
        f"configuration: {settings.env.value}, {settings.database_url.split(':')[0]}, "
        f"log level {settings.log_level}, {settings.log_format.value} logs, "
        f"access log {'on' if settings.access_log else 'off'}, "
        f"rate limits on (budgets {UNLIMITED}, out of reach), "
        f"{'Redis ' if settings.redis_url else 'in-process '}budgets, "
        f"{args.workers} worker(s) a node, "
        f"coalesced lookups {'on' if settings.coalesce_lookups else 'off'}, "
        f"{settings.database_threads} database thread(s) a worker"
    )


def _scenario(
    name: str,
    served: nodes.Served,
    seeded: object,
    workdir: Path,
    wrk_path: str,
    args: argparse.Namespace,
) -> wrk.Result:
    """One scenario against every node at once (one wrk each, the connections shared out)."""
    from bench.fixtures import Seeded

    urls = served.urls
    assert isinstance(seeded, Seeded)
    basic = base64.b64encode(f"{seeded.client_id}:{seeded.client_secret}".encode()).decode()
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"}
    if name == "heavy_query":
        return _heavy_query(urls[0], seeded, workdir, wrk_path, args)
    if name in ("graphql_me_dpop", "refresh_dpop"):
        return _dpop_scenario(name, served, seeded, workdir, wrk_path, args, form)
    url = urls[0]
    scripts: list[str]
    if name == "healthz":
        path = "/healthz"
        scripts = [""] * len(urls)
    elif name in ("graphql_me", "graphql_me_oauth", "orders_page"):
        token = seeded.oauth_access_token if name == "graphql_me_oauth" else seeded.personal_token
        query = ORDERS_PAGE if name == "orders_page" else "{ me { id username } }"
        path = "/seller-api/graphql"
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        scripts = [wrk.lua_post(path, json.dumps({"query": query}), headers)] * len(urls)
        _check(url, path, json.dumps({"query": query}), headers)
    elif name == "gateway_verify":
        # nginx's auth_request: the original request in X-Original-Method and X-Original-URI.
        path = "/gateway/verify"
        headers = {
            "Authorization": f"Bearer {seeded.personal_token}",
            "X-Original-Method": "GET",
            "X-Original-URI": "/v1/orders/1234/items?expand=customer",
        }
        scripts = [wrk.lua_get(path, headers)] * len(urls)
        verdict = httpx.get(url + path, headers=headers, timeout=30)
        if verdict.status_code != 200 or "x-sellergate-seller-id" not in verdict.headers:
            raise SystemExit(f"bench: {path} answered {verdict.status_code}: {verdict.text[:300]}")
    elif name == "introspect":
        path = "/seller-api/rest/oauth/introspect"
        body = urlencode({"token": seeded.oauth_access_token})
        scripts = [wrk.lua_post(path, body, form)] * len(urls)
        _check(url, path, body, form, expect='"active":true')
    else:
        path = "/seller-api/rest/oauth/token"
        first, rest = seeded.refresh_tokens[0], seeded.refresh_tokens[1:]
        _check(
            url,
            path,
            urlencode({"grant_type": "refresh_token", "refresh_token": first}),
            form,
            expect="access_token",
        )
        scripts = []
        for index in range(len(urls)):
            # Each node's wrk spends tokens of its own: a one-time token is sent once.
            bodies = workdir / f"refresh-{index}.txt"
            bodies.write_text(
                "\n".join(
                    urlencode({"grant_type": "refresh_token", "refresh_token": t})
                    for t in rest[index :: len(urls)]
                )
                + "\n"
            )
            scripts.append(wrk.lua_one_time_bodies(path, form, bodies))
    print(f"running {name} on {len(urls)} node(s) for {args.seconds}s...", file=sys.stderr)
    share = max(args.connections // len(urls), 1)

    def runner(index: int, seconds: int) -> Callable[[], wrk.Result]:
        return lambda: wrk.run(
            wrk_path,
            f"{name}-{index}",
            urls[index] + path,
            scripts[index],
            workdir,
            threads=args.threads,
            connections=share,
            seconds=seconds,
        )

    if args.warmup > 0 and name != "refresh":
        nodes.spread([runner(index, args.warmup) for index in range(len(urls))])
    result = nodes.spread([runner(index, args.seconds) for index in range(len(urls))], served.pids)
    return dataclasses.replace(result, name=name)


def _dpop_scenario(
    name: str,
    served: nodes.Served,
    seeded: object,
    workdir: Path,
    wrk_path: str,
    args: argparse.Namespace,
    form: dict[str, str],
) -> wrk.Result:
    """RFC 9449: ``me`` with a bound token, or a refresh, each request with a proof of its own
    (made before the load: wrk cannot sign)."""
    from bench.fixtures import Seeded

    assert isinstance(seeded, Seeded) and seeded.dpop_key is not None
    urls = served.urls
    key = seeded.dpop_key
    public = load_settings().public_url
    count = dpop.PROOFS_PER_SECOND * (args.seconds + max(args.warmup, 0))
    if name == "graphql_me_dpop":
        path = "/seller-api/graphql"
        token = seeded.dpop_access_token
        body = json.dumps({"query": "{ me { id username } }"})
        headers = {"Content-Type": "application/json", "Authorization": f"DPoP {token}"}
        _check(
            urls[0], path, body, {**headers, "DPoP": dpop.proof(key, "POST", public + path, token)}
        )
        lines = [dpop.proof(key, "POST", public + path, token) for _ in range(count)]
    else:
        path = "/seller-api/rest/oauth/token"
        body, headers = "", form
        first, *rest = seeded.dpop_refresh_tokens
        _check(
            urls[0],
            path,
            urlencode({"grant_type": "refresh_token", "refresh_token": first}),
            {**form, "DPoP": dpop.proof(key, "POST", public + path)},
            expect='"token_type":"DPoP"',
        )
        lines = [
            dpop.proof(key, "POST", public + path)
            + "\t"
            + urlencode({"grant_type": "refresh_token", "refresh_token": t})
            for t in rest
        ]
    print(f"made {len(lines)} proofs for {name}", file=sys.stderr)

    def runner(index: int, seconds: int, part: list[str]) -> Callable[[], wrk.Result]:
        file = dpop.write_lines(workdir / f"{name}-{index}-{seconds}.txt", part)
        script = wrk.lua_one_time_proofs(path, headers, file, body)
        return lambda: wrk.run(
            wrk_path,
            f"{name}-{index}",
            urls[index] + path,
            script,
            workdir,
            threads=args.threads,
            connections=max(args.connections // len(urls), 1),
            seconds=seconds,
        )

    print(f"running {name} on {len(urls)} node(s) for {args.seconds}s...", file=sys.stderr)
    nodes_count = len(urls)
    if args.warmup > 0 and name != "refresh_dpop":
        warm, lines = lines[: len(lines) // 4], lines[len(lines) // 4 :]
        nodes.spread([runner(i, args.warmup, warm[i::nodes_count]) for i in range(nodes_count)])
    result = nodes.spread(
        [runner(i, args.seconds, lines[i::nodes_count]) for i in range(nodes_count)], served.pids
    )
    return dataclasses.replace(result, name=name)


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


def _rows(results: list[wrk.Result], count: int, rss: list[float]) -> list[dict[str, object]]:
    baseline = results[0].requests_per_second
    return [
        {
            **r.__dict__,
            "nodes": count,
            "ratio_to_healthz": r.requests_per_second / baseline,
            "worker_rss_mb": [round(size, 1) for size in rss],
        }
        for r in results
    ]


def _report(
    results: list[wrk.Result], args: argparse.Namespace, count: int, rss: list[float]
) -> None:
    baseline = results[0].requests_per_second
    print(
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.seconds}s, "
        f"{count} node(s) of {args.workers} server worker(s), "
        f"{args.database_url.split(':')[0] or 'sqlite'}"
    )
    print(
        f"{'scenario':<18}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'vs healthz':>12}{'errors':>8}"
        f"{'CPU us/req':>12}"
    )
    for r in results:
        cpu = "-" if r.cpu_us is None else f"{r.cpu_us:.0f}"
        print(
            f"{r.name:<18}{r.requests_per_second:>10.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}"
            f"{r.requests_per_second / baseline:>11.2f}x{r.errors:>8}{cpu:>12}"
        )
    print(
        "CPU us/req: the server's processes (not a database server's) per request, under the "
        "load above"
    )
    print(f"RSS per worker after the run: {', '.join(f'{size:.1f} MB' for size in rss)}")


def _compare(measured: dict[int, list[wrk.Result]]) -> None:
    counts = sorted(measured)
    base = {r.name: r for r in measured[counts[0]]}
    print(f"\nthroughput against {counts[0]} node(s)")
    print(f"{'scenario':<18}" + "".join(f"{f'{c} node(s)':>12}" for c in counts[1:]))
    for name, first in base.items():
        ratios = []
        for count in counts[1:]:
            other = next(r for r in measured[count] if r.name == name)
            ratios.append(other.requests_per_second / max(first.requests_per_second, 1e-9))
        print(f"{name:<18}" + "".join(f"{ratio:>11.2f}x" for ratio in ratios))


if __name__ == "__main__":
    main()
