"""Making a file read-only for this process, even when the tests run as root.

``chmod 0444`` is what an operator does; root ignores it, so when the tests run as root the
file is also marked immutable (``chattr +i``), which root's writes respect.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _chattr(flag: str, path: Path) -> None:
    subprocess.run(["chattr", flag, str(path)], check=True, capture_output=True, timeout=10)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` is read-only inside the block and writable again after it."""
    as_root = os.geteuid() == 0
    if as_root and shutil.which("chattr") is None:
        message = (
            "running as root without chattr (apt install e2fsprogs): cannot make a file read-only"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)  # CI installs it: a skip there hides a gap
        pytest.skip(message)
    path.chmod(0o444)
    try:
        if as_root:
            _chattr("+i", path)
        yield
    finally:
        if as_root:
            _chattr("-i", path)
        path.chmod(0o644)


def make_writable(path: Path) -> None:
    """End :func:`read_only` early (the operator fixed the permission)."""
    if os.geteuid() == 0:
        _chattr("-i", path)
    path.chmod(0o644)
