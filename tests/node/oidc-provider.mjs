// A certified OpenID provider (the `oidc-provider` package, OpenID Foundation certified)
// for the partner tests (issue 16): clients (a portal, a zone website, and one the service
// does not know) that get a citizen's access token by the authorization code flow (the
// development login form: any login, no password check) and a machine token by the client
// credentials grant. Access
// tokens are JWTs (RFC 9068) for the resource `urn:e-commissariat`, audience
// `e-commissariat`, signed with the provider's keys, published at /jwks.
//
// Prints one line of JSON, {"issuer": "http://127.0.0.1:<port>"}, once it listens; then
// serves until killed.
import http from 'node:http';
import Provider from 'oidc-provider';

const RESOURCE = 'urn:e-commissariat';
const REDIRECT = 'http://127.0.0.1/callback';
// The level the citizen's identity was verified at, as an eIDAS acr.
const ACR = 'http://eidas.europa.eu/LoA/substantial';

const client = (id) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ['authorization_code', 'client_credentials'],
  response_types: ['code'],
  redirect_uris: [REDIRECT],
  scope: 'openid filings webhooks',
});

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    // `rogue-portal` is a client of the provider that the service has not registered.
    clients: [client('portal-a'), client('zone-ottignies'), client('rogue-portal')],
    scopes: ['openid', 'filings', 'webhooks'],
    pkce: { required: () => false },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'filings webhooks',
          audience: 'e-commissariat',
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    // A citizen's token says how they were identified; a machine token has no acr.
    extraTokenClaims: (ctx, token) => (token.accountId ? { acr: ACR } : undefined),
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
