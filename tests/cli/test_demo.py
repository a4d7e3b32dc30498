"""``sellergate demo``: one process serves sellergate and the demo Connect app; Ctrl+C stops
both."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from live import free_port

SELLERGATE = str(Path(sys.executable).parent / "sellergate")


def run_demo(data_home: Path) -> tuple[dict[str, Any], str]:
    port, app_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELLERGATE_")}
    env["XDG_DATA_HOME"] = str(data_home)
    process = subprocess.Popen(
        [SELLERGATE, "demo", "--json", "--port", str(port), "--app-port", str(app_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        info: dict[str, Any] = json.loads(process.stdout.readline())
        assert info["sellergate_url"] == f"http://127.0.0.1:{port}"
        assert info["demo_app_url"] == f"http://127.0.0.1:{app_port}"
        with httpx.Client(timeout=10) as http:
            for _ in range(100):  # the JSON is printed before the servers are listening
                try:
                    http.get(info["demo_app_url"])
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            landing = http.get(info["demo_app_url"])
            assert "Connect with sellergate" in landing.text
            connect = http.get(info["demo_app_url"] + "/connect")
            assert connect.headers["location"].startswith(info["sellergate_url"])
            assert http.get(info["sellergate_url"] + "/healthz").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    return info, stderr


def test_demo_serves_both_apps_and_keeps_its_seller(tmp_path: Path) -> None:
    first, stderr = run_demo(tmp_path)
    assert first["login"]["username"] == "demo"
    assert "wn_client_secret" not in stderr
    second, _ = run_demo(tmp_path)
    assert second["login"] == first["login"]
