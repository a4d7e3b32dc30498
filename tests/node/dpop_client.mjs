// An independent OAuth client for the tests: panva's openid-client 6, used as its documentation
// shows, with no knowledge of sellergate. It discovers the server (RFC 8414), pushes the
// authorization request (RFC 9126) with a DPoP key (RFC 9449), prints the URL to send the seller
// to, reads the redirect back on stdin, exchanges the code, calls the API, refreshes and calls the
// API again; it prints one JSON line per step.
//
// Usage: node dpop_client.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI
import * as client from 'openid-client'
import { createInterface } from 'node:readline'

const [issuer, clientId, clientSecret, redirectUri] = process.argv.slice(2)
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n')

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const config = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
  algorithm: 'oauth2',
  execute: [client.allowInsecureRequests], // the test server listens on loopback, plain HTTP
})
const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair())
const verifier = client.randomPKCECodeVerifier()
const state = client.randomState()
const url = await client.buildAuthorizationUrlWithPAR(
  config,
  {
    redirect_uri: redirectUri,
    scope: 'read:inventory',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  },
  { DPoP },
)
say({ step: 'authorize', url: url.href })

const callback = (await lines.next()).value
const tokens = await client.authorizationCodeGrant(
  config,
  new URL(callback),
  { pkceCodeVerifier: verifier, expectedState: state },
  undefined,
  { DPoP },
)
say({ step: 'token', token_type: tokens.token_type, access_token: tokens.access_token })

const me = async (accessToken) => {
  const response = await client.fetchProtectedResource(
    config,
    accessToken,
    new URL(issuer + '/seller-api/graphql'),
    'POST',
    JSON.stringify({ query: '{ me { username } }' }),
    new Headers({ 'content-type': 'application/json' }),
    { DPoP },
  )
  return { status: response.status, body: await response.json() }
}
say({ step: 'api', ...(await me(tokens.access_token)) })

const renewed = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP })
say({ step: 'refresh', token_type: renewed.token_type, access_token: renewed.access_token })
say({ step: 'api', ...(await me(renewed.access_token)) })
process.exit(0)
