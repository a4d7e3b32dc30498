// An independent OAuth client (panva's openid-client) replays a refresh token after using the
// pair it got for it. Reads {issuer, tokenEndpoint, api, clientId, clientSecret, refreshToken}
// as JSON on stdin (secrets never on the command line); prints what each step answered.
import * as client from "openid-client";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const given = JSON.parse(input);

const config = new client.Configuration(
  { issuer: given.issuer, token_endpoint: given.tokenEndpoint },
  given.clientId,
  given.clientSecret,
);
client.allowInsecureRequests(config); // loopback only: the test server speaks plain HTTP

async function callApi(accessToken) {
  try {
    const response = await client.fetchProtectedResource(
      config,
      accessToken,
      new URL(given.api),
      "POST",
      JSON.stringify({ query: "{ me { username } }" }),
      new Headers({ "content-type": "application/json" }),
    );
    return response.status;
  } catch (error) {
    // The library raises on a 401 that carries a WWW-Authenticate challenge.
    if (typeof error.status === "number") return error.status;
    throw error;
  }
}

async function refresh(token) {
  try {
    const tokens = await client.refreshTokenGrant(config, token);
    return { ok: true, tokens };
  } catch (error) {
    return { ok: false, error: error.error ?? String(error) };
  }
}

const first = await refresh(given.refreshToken);
if (!first.ok) {
  console.log(JSON.stringify({ firstRefresh: first.error }));
  process.exit(0);
}
const apiWithNewPair = await callApi(first.tokens.access_token);
const replay = await refresh(given.refreshToken);
const apiAfterReplay = await callApi(first.tokens.access_token);
const newRefreshAfterReplay = await refresh(first.tokens.refresh_token);
console.log(
  JSON.stringify({
    apiWithNewPair,
    replay: replay.ok ? "accepted" : replay.error,
    apiAfterReplay,
    newRefreshAfterReplay: newRefreshAfterReplay.ok ? "accepted" : newRefreshAfterReplay.error,
  }),
);
