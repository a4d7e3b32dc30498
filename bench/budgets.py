"""``python -m bench.budgets``: what charging one request to a budget costs in one process, as
the number of live budget keys grows (each token, app, client and address in a window is a key).

The same charge (``web.budgets.Limiter``, fixed window) is measured on the counts the server
uses without Redis (``storage.counts``) and on ``limits``' own in-memory storage, with 1 key
live and with more. Printed: the CPU per charge and its ratio to the same storage with one
key, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from typing import Any

from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter

from bench.fixtures import UNLIMITED


def _limiter(storage_name: str) -> Any:
    from sellergate.config import load_settings
    from sellergate.web.budgets import Limiter

    limiter = Limiter(load_settings())
    if storage_name == "limits-memory":
        limiter.strategy = FixedWindowRateLimiter(MemoryStorage())
    return limiter


async def _per_charge(storage_name: str, keys: int, charges: int) -> float:
    limiter = _limiter(storage_name)
    for number in range(keys - 1):
        await limiter.charge([(limiter.token, f"token:{number}")])
    started = time.process_time()
    for _ in range(charges):
        await limiter.charge([(limiter.token, "token:measured")])
        # As between two requests: the loop turns (and runs what a charge scheduled).
        await asyncio.sleep(0)
    return (time.process_time() - started) / charges * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.budgets", description=__doc__)
    parser.add_argument("--keys", type=int, nargs="+", default=[1, 1_000, 10_000, 100_000])
    parser.add_argument("--charges", type=int, default=2_000, help="charges measured per row")
    args = parser.parse_args()
    os.environ.update(
        {
            "SELLERGATE_DATA_DIR": tempfile.mkdtemp(prefix="sellergate-bench-"),
            "SELLERGATE_RATE_LIMIT_TOKEN": UNLIMITED,
        }
    )
    print(f"{'storage':<16} {'live keys':>10} {'µs/charge':>10} {'vs 1 key':>9}")
    for storage_name in ("process-counts", "limits-memory"):
        baseline = 0.0
        for keys in args.keys:
            # limits' storage walks every key per charge: fewer charges keep the run short.
            charges = (
                args.charges
                if storage_name == "process-counts"
                else max(20, args.charges * 1_000 // max(keys, 1_000))
            )
            cost = asyncio.run(_per_charge(storage_name, keys, charges))
            baseline = baseline or cost
            print(f"{storage_name:<16} {keys:>10,} {cost:>10.1f} {cost / baseline:>8.2f}x")


if __name__ == "__main__":
    main()
