import t from 'tap'
import { MemoryStore } from '../../src/core/state/memory-store.js'
import { Tokens } from '../../src/core/tokens/tokens.js'

function make (now = () => Date.now()) {
  const store = new MemoryStore(now)
  return new Tokens({ secret: 'x'.repeat(32), accessTtlMs: 60_000, refreshTtlMs: 120_000, store, now })
}

t.test('access tokens: issued, verified, expired, foreign and revoked ones refused', async (t) => {
  let now = 1_700_000_000_000
  const tokens = make(() => now)
  const { token, expiresIn } = tokens.issueAccess({ username: 'ann', admin: true })
  t.equal(expiresIn, 60)
  const ok = await tokens.verifyAccess(token)
  t.match(ok, { ok: true, claims: { username: 'ann', admin: true } })
  t.same(await tokens.verifyAccess('garbage'), { ok: false, reason: 'invalid' })
  const other = new Tokens({ secret: 'y'.repeat(32), accessTtlMs: 1000, refreshTtlMs: 1000, store: new MemoryStore() })
  t.same(await tokens.verifyAccess(other.issueAccess({ username: 'ann', admin: true }).token), { ok: false, reason: 'invalid' })
  t.same(await tokens.verifyAccess(tokens.signJwt({ sub: 'ann', typ: 'refresh', exp: 2e9 })), { ok: false, reason: 'invalid' }, 'wrong type')

  await tokens.revoke(token)
  t.same(await tokens.verifyAccess(token), { ok: false, reason: 'invalid' }, 'revoked by RFC 7009')

  const second = tokens.issueAccess({ username: 'ann', admin: false }).token
  now += 61_000
  t.same(await tokens.verifyAccess(second), { ok: false, reason: 'expired' })
  await tokens.revoke(second)
  await tokens.revoke('not-a-token')
})

t.test('revokeUser invalidates earlier tokens only', async (t) => {
  let now = 1_700_000_000_000
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
