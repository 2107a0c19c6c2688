import { createHmac } from 'node:crypto'
import t from 'tap'
import { login, request, sharedClusterOverrides, startApp, type RunningApp } from '../helpers/app.js'
import { ALICE, TEST_SECRET } from '../helpers/config.js'
import { dasOverrides, openClient, oauthToken } from '../plugins/das/das-client.js'
import { initialized } from '../plugins/really/helpers.js'

// A token is valid on REST (@fastify/jwt, src/http/auth/bearer-jwt.ts) exactly when it is valid
// on a socket that takes the core access token: DAS `authorization` (plugins/das/README.md,
// "Authorization"). Telegraphy's `get_token` is REST, WebRocket and syscache sockets take their
// own tokens, Really's socket takes Really-format tokens only.

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWT signed by hand, so the table can hold what the core never issues. */
function jwt (claims: Record<string, unknown>, { alg = 'HS256', secret = TEST_SECRET }: { alg?: string, secret?: string } = {}): string {
  const head = `${b64url({ alg, typ: 'JWT' })}.${b64url(claims)}`
  if (alg === 'none') return `${head}.`
  const hmac = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg]
  if (!hmac) throw new Error(`no signer for ${alg}`)
  return `${head}.${createHmac(hmac, secret).update(head).digest('base64url')}`
}

/** The claims the core issues an access token with (src/core/tokens/tokens.ts `issueAccess`). */
function accessClaims (username: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now()
  return { sub: username, adm: false, typ: 'access', jti: `jti-${Math.random()}`, iat: Math.floor(now / 1000), iatMs: now, exp: Math.floor(now / 1000) + 300, ...overrides }
}

const onRest = async (app: RunningApp, token: string): Promise<boolean> => {
  const { status, body } = await request(app.url, 'GET', '/api/auth/me', { token })
  if (status !== 200 && status !== 401) throw new Error(`unexpected ${status} ${JSON.stringify(body)}`)
  return status === 200
}

const onDasSocket = async (t: { teardown (fn: () => unknown): void }, app: RunningApp, token: string): Promise<boolean> => {
  const client = await openClient(t, app.url)
  const reply = await client.authorize(token)
  if (reply.status.code !== 200 && reply.status.code !== 401) throw new Error(`unexpected ${JSON.stringify(reply)}`)
  return reply.status.code === 200
}

t.test('the same tokens are valid on REST and on the DAS socket', async (t) => {
  const app = await startApp(t, dasOverrides())
  const { services } = app.app
  const pair = (await request(app.url, 'POST', '/api/auth/login', { body: ALICE })).body as { access_token: string, refresh_token: string }
  const revokedJti = await login(app.url, ALICE)
  t.equal((await request(app.url, 'POST', '/oauth2/revoke_token/', { form: { token: revokedJti, client_id: 'das_web_client' } })).status, 200)
  const revokedUser = services.tokens.issueAccess({ username: 'carol', admin: false }).token
  await services.tokens.revokeUser('carol')
  const really = (await request(app.url, 'POST', '/auth/password/login/', { body: ALICE })).body.accessToken as string
  const past = Math.floor(Date.now() / 1000) - 5

  const table: Array<[string, string, boolean]> = [
    ['valid (login)', pair.access_token, true],
    ['valid (OAuth, as DAS dashboards get it)', await oauthToken(app.url, ALICE), true],
    ['valid (signed with the core claims)', jwt(accessClaims('alice')), true],
    ['expired', jwt(accessClaims('alice', { exp: past })), false],
    ['no exp (would never expire)', jwt(accessClaims('alice', { exp: undefined })), false],
    ['no iatMs (user revocation could not place it)', jwt(accessClaims('alice', { iatMs: undefined })), false],
    ['wrong secret', jwt(accessClaims('alice', { adm: true }), { secret: 'another-secret-of-enough-length' }), false],
    ['alg: none', jwt(accessClaims('alice', { adm: true }), { alg: 'none' }), false],
    ['another algorithm (HS512, same secret)', jwt(accessClaims('alice'), { alg: 'HS512' }), false],
    ['the opaque refresh token', pair.refresh_token, false],
    ['a JWT of type refresh', jwt(accessClaims('alice', { typ: 'refresh' })), false],
    ['revoked jti (RFC 7009)', revokedJti, false],
    ['revoked user', revokedUser, false],
    ['a Really-format token', really, false],
    ['not a JWT', 'not-a-jwt', false],
  ]
  for (const [name, token, valid] of table) {
    t.equal(await onRest(app, token), valid, `${name}: REST ${valid ? 'accepts' : 'refuses'}`)
    t.equal(await onDasSocket(t, app, token), valid, `${name}: DAS socket ${valid ? 'accepts' : 'refuses'}`)
  }

  t.same((await request(app.url, 'GET', '/api/auth/me', { token: pair.access_token })).body, { username: 'alice', admin: false }, 'REST knows the caller')
  const client = await initialized(t, app, really)
  t.ok(client, 'the Really-format token is a real one: the Really socket takes it')
})

t.test('revocation on one node holds on REST and on sockets of the other', async (t) => {
  const cluster = { ...await sharedClusterOverrides(t), ...dasOverrides() }
  const a = await startApp(t, cluster)
  const b = await startApp(t, cluster)
  const token = await login(a.url, ALICE)
  t.equal(await onRest(b, token), true, 'valid on the other node first')
  t.equal(await onDasSocket(t, b, token), true)
  t.equal((await request(a.url, 'POST', '/oauth2/revoke_token/', { form: { token, client_id: 'das_web_client' } })).status, 200)
  t.equal(await onRest(b, token), false, 'REST on the other node refuses it')
  t.equal(await onDasSocket(t, b, token), false, 'so does its DAS socket')
})
