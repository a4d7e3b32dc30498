"""Run the ``sellergate`` command line in-process, as its real entry point would run.

``invoke(args, env=..., stdin=...)`` calls :func:`sellergate.cli.main.main` (argument parsing,
commands and the entry point's error handling) inside click's ``CliRunner`` isolation: stdin,
stdout, stderr and the environment are swapped for the call only. It answers like
``subprocess.run`` (``returncode``, ``stdout``, ``stderr``) at a fraction of the cost of a new
interpreter. A few tests still run the installed ``sellergate`` script in a subprocess
(:func:`invoke_subprocess`), so that the console entry point itself stays covered.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from sellergate.cli.main import main

SELLERGATE = str(Path(sys.executable).parent / "sellergate")


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1  # sys.exit("message") prints the message and exits 1


def invoke(args: list[str], *, env: dict[str, str], stdin: str = "") -> Result:
    """``sellergate ARGS`` in this process; ``env`` is added to (and wins over) os.environ."""
    runner = CliRunner()
    argv = sys.argv
    with runner.isolation(input=stdin, env=env) as (out, err, _):
        sys.argv = ["sellergate", *args]
        try:
            main()
            code = 0
        except SystemExit as exited:
            code = _exit_code(exited.code)
        finally:
            sys.argv = argv
            sys.stdout.flush()
            sys.stderr.flush()
        return Result(code, out.getvalue().decode(), err.getvalue().decode())


def invoke_subprocess(args: list[str], *, env: dict[str, str], stdin: str = "") -> Result:
    """``sellergate ARGS`` through the installed console script, in a new interpreter."""
    done = subprocess.run(
        [SELLERGATE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    return Result(done.returncode, done.stdout, done.stderr)
