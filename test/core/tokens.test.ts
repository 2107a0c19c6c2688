import t from 'tap'
import { MemoryStore } from '../../src/core/state/memory-store.js'
import { Tokens } from '../../src/core/tokens/tokens.js'

function make (now = () => Date.now()) {
  const store = new MemoryStore(now)
  return new Tokens({ secret: 'x'.repeat(32), accessTtlMs: 60_000, refreshTtlMs: 120_000, store, now })
}

t.test('access tokens: issued, verified, expired, foreign and revoked ones refused', async (t) => {
  // Expiry is fast-jwt's, on the real clock (as on REST): `now` only stamps issuing and revocation.
  const tokens = make()
  const { token, expiresIn } = tokens.issueAccess({ username: 'ann', admin: true })
  t.equal(expiresIn, 60)
  const ok = await tokens.verifyAccess(token)
  t.match(ok, { ok: true, claims: { username: 'ann', admin: true } })
  t.same(await tokens.verifyAccess('garbage'), { ok: false, reason: 'invalid' })
  const other = new Tokens({ secret: 'y'.repeat(32), accessTtlMs: 1000, refreshTtlMs: 1000, store: new MemoryStore() })
  t.same(await tokens.verifyAccess(other.issueAccess({ username: 'ann', admin: true }).token), { ok: false, reason: 'invalid' })
  const claims = { sub: 'ann', typ: 'access', jti: 'j1', iatMs: Date.now(), exp: Math.floor(Date.now() / 1000) + 60 }
  t.match(await tokens.verifyAccess(tokens.signJwt(claims)), { ok: true }, 'every claim an access token is issued with')
  t.same(await tokens.verifyAccess(tokens.signJwt({ ...claims, typ: 'refresh' })), { ok: false, reason: 'invalid' }, 'wrong type')
  for (const missing of ['typ', 'sub', 'jti', 'exp', 'iatMs']) {
    const { [missing]: _gone, ...rest } = claims as Record<string, unknown>
    t.same(await tokens.verifyAccess(tokens.signJwt(rest)), { ok: false, reason: 'invalid' }, `without ${missing}`)
  }
  t.same(await tokens.verifyAccess(tokens.signJwt({ ...claims, jti: 7 })), { ok: false, reason: 'invalid' }, 'a claim of the wrong type')
  t.same(await tokens.verifyAccess(tokens.signJwt({ ...claims, exp: Math.floor(Date.now() / 1000) - 1 })), { ok: false, reason: 'expired' })

  await tokens.revoke(token)
  t.same(await tokens.verifyAccess(token), { ok: false, reason: 'invalid' }, 'revoked by RFC 7009')
  await tokens.revoke('not-a-token')
})

t.test('revokeUser invalidates earlier tokens only', async (t) => {
  let now = Date.now()
  const tokens = make(() => now)
  const before = tokens.issueAccess({ username: 'bob', admin: false }).token
  const refresh = await tokens.issueRefresh('bob')
  now += 5
  await tokens.revokeUser('bob')
  now += 5
  const after = tokens.issueAccess({ username: 'bob', admin: false }).token
  t.same(await tokens.verifyAccess(before), { ok: false, reason: 'invalid' })
  t.match(await tokens.verifyAccess(after), { ok: true })
  t.equal(await tokens.useRefresh(refresh), null)
  t.equal(await tokens.isUserRevoked('carl', now), false)
})

t.test('accessVerification: the secret, one algorithm and the steps verifyAccess runs', async (t) => {
  const tokens = make()
  const { verifier, claimsOf, isRevoked } = tokens.accessVerification
  t.same(verifier, { key: 'x'.repeat(32), algorithms: ['HS256'], requiredClaims: ['typ', 'sub', 'jti', 'exp', 'iatMs'], clockTolerance: 0 })
  const issued = tokens.issueAccess({ username: 'ann', admin: false }).token
  const check = await tokens.verifyAccess(issued)
  if (!check.ok) throw new Error('issued token refused')
  t.same(claimsOf(tokens.verifyJwt(issued)!), check.claims)
  t.equal(claimsOf({ uid: 'ann', authType: 'password', expires: 1 }), null, 'a Really-format payload is no access token')
  t.equal(await isRevoked(check.claims), false)
  await tokens.revoke(issued)
  t.equal(await isRevoked(check.claims), true)
})

t.test('refresh tokens are single use and revocable', async (t) => {
  const tokens = make()
  const refresh = await tokens.issueRefresh('ann')
  t.equal(await tokens.useRefresh(refresh), 'ann')
  t.equal(await tokens.useRefresh(refresh), null)
  const again = await tokens.issueRefresh('ann')
  await tokens.revoke(again)
  t.equal(await tokens.useRefresh(again), null)
})

t.test('one-time tokens are taken once; sliding tokens slide and can be revoked', async (t) => {
  let now = 1_000
  const tokens = make(() => now)
  const once = await tokens.issueOneTime('telegraphy', 'ann', 5000)
  t.equal(await tokens.takeOneTime('telegraphy', once), 'ann')
  t.equal(await tokens.takeOneTime('telegraphy', once), null)
  const custom = await tokens.issueOneTime('p', 'v', 5000, () => 'FIXED')
  t.equal(custom, 'FIXED')

  const sliding = await tokens.issueSliding('syscache', 'ann', 100)
  now += 80
  t.equal(await tokens.useSliding('syscache', sliding, 100), 'ann')
  now += 80
  t.equal(await tokens.useSliding('syscache', sliding, 100), 'ann', 'still valid because it was used')
  now += 150
  t.equal(await tokens.useSliding('syscache', sliding, 100), null)
  const other = await tokens.issueSliding('syscache', 'bob', 100)
  t.equal(await tokens.revokeSliding('syscache', other), true)
  t.equal(await tokens.useSliding('syscache', other, 100), null)
  t.equal(tokens.accessTtlMs, 60_000)
  t.equal(tokens.refreshTtlMs, 120_000)
  t.equal(tokens.verifyJwt('nope'), null)
})
