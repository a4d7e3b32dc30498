"""An independent client library against the retry window: panva's ``openid-client`` (Node)
refreshes, calls the API with the new access token, then replays the old refresh token. The
replay is reuse (the response evidently arrived), so it is refused and the authorization is
revoked. A real Node process on a real socket; both databases."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from live import LiveServer
from oauth.conftest import Flow
from sellergate.oauth.metadata import TOKEN_PATH

NODE_DIR = Path(__file__).resolve().parent.parent / "node"
SCRIPT = NODE_DIR / "refresh_replay.mjs"


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    return live_server


def test_openid_client_replay_after_an_api_call_is_refused(flow: Flow) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "openid-client").is_dir():
        pytest.fail("the test peers are missing: run `make peers` (Node and tests/node)")
    tokens = flow.tokens()
    given = {
        "issuer": flow.server.url,
        "tokenEndpoint": flow.server.url + TOKEN_PATH,
        "api": flow.server.url + "/seller-api/graphql",
        "clientId": flow.app.client_id,
        "clientSecret": flow.app.secret,
        "refreshToken": tokens["refresh_token"],
    }
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=NODE_DIR,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answered = json.loads(done.stdout.strip().splitlines()[-1])
    assert answered == {
        "apiWithNewPair": 200,
        "replay": "invalid_grant",
        "apiAfterReplay": 401,
        "newRefreshAfterReplay": "invalid_grant",
    }
