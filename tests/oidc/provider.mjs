// A real OpenID Connect provider (npm oidc-provider, a certified implementation) for the tests, on a loopback port.
//
//   node tests/oidc/provider.mjs <private-jwks-out.json> <accounts.json>
//
// Generates an RSA and an EC signing key and writes them (private parts included) to the first file, so a test can
// also forge tokens with the issuer's own keys. Accounts are read from the second file at each sign-in:
// {"<sub>": {"email": "...", "groups": [...]}}. The interaction route signs in the account named by the
// authorization request's login_hint and grants the scopes asked for, so a test drives the whole authorization code
// flow (with PKCE) over HTTP; without a login_hint it shows a one-field sign-in form, which a browser completes (the
// portal's SSO: client "portal-web", a confidential web client on any loopback port). Prints {"issuer": "http://127.0.0.1:<port>"} once listening.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const [jwksPath, accountsPath] = process.argv.slice(2);
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const PORTAL_SECRET = 'portal-web-secret';

function signingKey(kid, alg, type, options) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

const jwks = {
  keys: [
    signingKey('rsa-1', 'RS256', 'rsa', { modulusLength: 2048 }),
    signingKey('ec-1', 'ES256', 'ec', { namedCurve: 'P-256' }),
  ],
};
writeFileSync(jwksPath, JSON.stringify(jwks));

function client(clientId, alg) {
  return {
    client_id: clientId,
    token_endpoint_auth_method: 'none',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: alg,
  };
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      client('mobile-rs', 'RS256'),
      client('mobile-es', 'ES256'),
      {
        // The portal's pages: a web client with a secret; "native" only so that any loopback port is accepted
        // (RFC 8252), since the test server's port is chosen at random.
        ...client('portal-web', 'RS256'),
        application_type: 'native',
        client_secret: PORTAL_SECRET,
        token_endpoint_auth_method: 'client_secret_post',
        redirect_uris: ['http://127.0.0.1/oidc/callback/', 'http://localhost/oidc/callback/'],
      },
    ],
    jwks,
    cookies: { keys: ['tests-only-cookie-key'] },
    claims: { openid: ['sub'], email: ['email'], groups: ['groups'] },
    // Scope claims in the ID token itself (an app reads them there), not only from the userinfo endpoint.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const accounts = JSON.parse(readFileSync(accountsPath, 'utf8'));
      if (!(sub in accounts)) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) };
    },
  });

  function readForm(req) {
    return new Promise((resolve) => {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => resolve(new URLSearchParams(body)));
    });
  }

  async function interaction(req, res) {
    const details = await provider.interactionDetails(req, res);
    let accountId = details.params.login_hint;
    if (!accountId && req.method === 'POST') {
      accountId = (await readForm(req)).get('login');
    }
    if (!accountId) {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>Test issuer</title><form method="post">
        <label>Account <input name="login" autofocus></label> <button type="submit">Sign in</button></form>`);
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, {
      mergeWithLastSubmission: false,
    });
  }

  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(req, res).catch((error) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    } else {
      callback(req, res);
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer, redirect_uri: REDIRECT_URI })}\n`);
});
