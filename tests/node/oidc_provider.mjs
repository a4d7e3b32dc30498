// A real OpenID Connect provider for the tests: panva's oidc-provider on loopback, standing in
// for a marketplace's accounts.
//
//   node oidc_provider.mjs PORT ADMIN_SECRET
//
// Any login name signs in (oidc-provider's development interactions); the account's `sub` is
// the login name, its claims `preferred_username` = the login name and `email` =
// <login>@example.test unless a test set others. The provider signs with RSA keys of its own.
// Loopback-only test hooks, each needing `authorization: Bearer ADMIN_SECRET`:
//   POST /_test/configure {"clients": [...]}   replaces the registered clients
//   POST /_test/accounts  {"<sub>": {claims}}   claims of accounts (merged over the defaults)
//   POST /_test/rotate                          a new signing key, first in the JWKS (the old
//                                               one stays published), as a provider rotates
//   POST /_test/delay {"ms": N}                 answer the token endpoint N ms late
// Changing clients or keys makes a new provider instance (its in-memory sessions start over).
// Prints "listening <issuer>" once it accepts connections.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const adminSecret = process.argv[3];
const issuer = `http://127.0.0.1:${port}`;

let clients = [];
const accounts = new Map();
const keys = [];
let tokenDelayMs = 0;

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function build() {
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys },
    cookies: { keys: [adminSecret] },
    findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            preferred_username: id,
            email: `${id}@example.test`,
            email_verified: true,
            ...(accounts.get(id) || {}),
          };
        },
      };
    },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
    },
    // The username and email go into the ID token itself, as Keycloak and most providers do.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    // The relying party under test listens on loopback, which oidc-provider's SSRF guard
    // (rightly, in production) refuses to call: back-channel logouts go out without it here.
    fetch(url, options) {
      const { dispatcher, ...rest } = options;
      return globalThis.fetch(url, rest);
    },
  });
  provider.on('backchannel.error', (ctx, error) => {
    process.stderr.write(`backchannel logout delivery failed: ${error.message} (${error.cause})\n`);
  });
  return provider;
}

keys.push(newKey());
let handler = build().callback();

async function body(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString() || '{}';
  return JSON.parse(text);
}

async function admin(request, response) {
  if (request.headers.authorization !== `Bearer ${adminSecret}`) {
    response.writeHead(401).end();
    return;
  }
  const path = new URL(request.url, issuer).pathname;
  const input = await body(request);
  if (path === '/_test/configure') {
    clients = input.clients;
  } else if (path === '/_test/accounts') {
    for (const [sub, claims] of Object.entries(input)) accounts.set(sub, claims);
  } else if (path === '/_test/rotate') {
    keys.unshift(newKey());
  } else if (path === '/_test/delay') {
    tokenDelayMs = Number(input.ms) || 0;
  } else {
    response.writeHead(404).end();
    return;
  }
  if (path === '/_test/configure' || path === '/_test/rotate') handler = build().callback();
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ kids: keys.map((key) => key.kid) }));
}

const server = http.createServer((request, response) => {
  if (request.url.startsWith('/_test/') && request.method === 'POST') {
    admin(request, response).catch((error) => {
      response.writeHead(400).end(String(error));
    });
    return;
  }
  if (tokenDelayMs && request.url.startsWith('/token')) {
    setTimeout(() => handler(request, response), tokenDelayMs);
    return;
  }
  handler(request, response);
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
