import t from 'tap'
import { sharedClusterOverrides, startApp } from '../../helpers/app.js'
import { client, overrides } from './fixture.js'

const budgets = (extra: Record<string, number>) => ({ auth: { throttle: { maxFailuresPerAccount: 100, maxFailuresPerAddress: 100, ...extra } } })

t.test('authenticate past the budget gets TOO_MANY_ATTEMPTS, unchecked; other users still authenticate', async (t) => {
  const app = await startApp(t, { ...overrides(), ...budgets({ maxFailuresPerAccount: 2 }) })
  const ws = await client(app.wsUrl)
  t.teardown(() => ws.close())
  for (let i = 0; i < 2; i++) t.same(await ws.request({ authenticate: { user: 'front', secret: 'nope' } }), { err: 'INVALID_CREDENTIALS' })
  t.same(await ws.request({ authenticate: { user: 'front', secret: 'read-secret' } }), { err: 'TOO_MANY_ATTEMPTS' })
  t.same(await ws.request({ authenticate: { user: 'back', secret: 'read-write-secret' } }), { authenticated: 'back' })
  t.same(await ws.request({ subscribe: { channel: 'still-fine' } }), { subscribed: 'still-fine' }, 'the connection is kept')
})

t.test('unknown users count against the address, across two nodes', async (t) => {
  const cluster = await sharedClusterOverrides(t)
  const a = await startApp(t, { ...cluster, ...overrides(), ...budgets({ maxFailuresPerAddress: 2 }) })
  const b = await startApp(t, { ...cluster, ...overrides(), ...budgets({ maxFailuresPerAddress: 2 }) })
  const onA = await client(a.wsUrl)
  t.teardown(() => onA.close())
  t.same(await onA.request({ authenticate: { user: 'ghost', secret: '' } }), { err: 'USER_NOT_FOUND' })
  t.same(await onA.request({ authenticate: { user: 'front', secret: 'x' } }), { err: 'INVALID_CREDENTIALS' })
  const onB = await client(b.wsUrl)
  t.teardown(() => onB.close())
  t.same(await onB.request({ authenticate: { user: 'back', secret: 'read-write-secret' } }), { err: 'TOO_MANY_ATTEMPTS' }, 'node B throttles the address')
})

t.test('twenty connections of one user authenticating at once all get in (being concurrent is not failing)', async (t) => {
  const app = await startApp(t, { ...overrides(), ...budgets({ maxFailuresPerAccount: 2, maxFailuresPerAddress: 2 }) })
  const sockets = await Promise.all(Array.from({ length: 20 }, () => client(app.wsUrl)))
  t.teardown(() => { for (const ws of sockets) ws.close() })
  const replies = await Promise.all(sockets.map((ws) => ws.request({ authenticate: { user: 'front', secret: 'read-secret' } })))
  t.same(replies, sockets.map(() => ({ authenticated: 'front' })))
})
