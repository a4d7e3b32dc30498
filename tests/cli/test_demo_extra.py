"""The demo's package (Faker) is an extra: without it the server runs, and the
commands that need it say how to install them instead of failing with a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sellergate.cli.main import DEMO_EXTRA, main

BLOCK_DEMO_EXTRA = """
import sys
for name in {names!r}:
    sys.modules[name] = None  # as if the package were not installed
"""


def test_server_and_api_import_without_the_demo_extra() -> None:
    script = BLOCK_DEMO_EXTRA.format(names=DEMO_EXTRA) + (
        "from sellergate.config import load_settings\n"
        "from sellergate.web.app import create_app\n"
        "import sellergate.cli.main\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize(
    "argv",
    [
        ["shop", "seed", "alice"],
        ["orders", "simulate", "--seller", "alice", "--listing", "1"],
    ],
)
def test_demo_commands_name_the_extra(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: object,
) -> None:
    for name in DEMO_EXTRA:
        monkeypatch.setitem(sys.modules, name, None)
    for module in ("sellergate.shop.seed", "sellergate.shop.simulate"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setenv("SELLERGATE_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setattr(sys, "argv", ["sellergate", *argv])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "needs the demo extra" in err
    assert "sellergate[demo]" in err
    assert "Traceback" not in err
