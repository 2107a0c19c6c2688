import t from 'tap'
import { sharedClusterOverrides } from '../../helpers/app.js'
import { ADMIN } from '../../helpers/config.js'
import { connect, error, rpc, syscacheApp } from './helpers.js'

const TOO_MANY = 'Too Many Authorization Failures - Try again later'
const wrong = { username: ADMIN.username, password: 'wrong' }
const budgets = (extra: Record<string, number> = {}) => ({ auth: { throttle: { maxFailuresPerAccount: 100, maxFailuresPerAddress: 100, ...extra } } })

t.test('black-list: the failure that reaches maxAuthFailures gets 403 then close 1008; blocked for blockDuration', async (t) => {
  const app = await syscacheApp(t, { maxAuthFailures: 3, authFailureWindow: 60_000, blockDuration: 600 }, budgets())
  const client = await connect(t, app)
  t.same(await client.request(rpc('auth', wrong, 'a1')), error('a1', 401, 'Unauthorized'))
  t.same(await client.request(rpc('auth_token', { token: 'x'.repeat(20) }, 'a2')), error('a2', 401, 'Unauthorized'), 'auth_token failures count too')
  t.same(await client.request(rpc('auth', wrong, 'a3')), error('a3', 403, TOO_MANY))
  t.equal((await client.closed()).code, 1008)
  const again = await connect(t, app)
  t.same(await again.request(rpc('auth', ADMIN, 'b1')), error('b1', 403, TOO_MANY), 'the right password is refused while blocked')
  t.equal((await again.closed()).code, 1008)
  // The block's end is the behaviour under test: it is 600 ms long.
  await new Promise((resolve) => setTimeout(resolve, 700))
  const after = await connect(t, app)
  t.match(await after.request(rpc('auth', ADMIN, 'c1')), { name: 'response', id: 'c1' }, 'free again after blockDuration')
})

t.test('the shared throttle: past the account budget auth is refused with 403 + close, busy is 503', async (t) => {
  const app = await syscacheApp(t, { maxAuthFailures: 0 }, budgets({ maxFailuresPerAccount: 2 }))
  const client = await connect(t, app)
  for (const id of ['w1', 'w2']) t.same(await client.request(rpc('auth', wrong, id)), error(id, 401, 'Unauthorized'))
  t.same(await client.request(rpc('auth', ADMIN, 'r')), error('r', 403, TOO_MANY))
  t.equal((await client.closed()).code, 1008)
})

t.test('black-list across two nodes sharing Redis', async (t) => {
  const cluster = await sharedClusterOverrides(t)
  const a = await syscacheApp(t, { maxAuthFailures: 2, blockDuration: 60_000 }, { ...cluster, ...budgets() })
  const b = await syscacheApp(t, { maxAuthFailures: 2, blockDuration: 60_000 }, { ...cluster, ...budgets() })
  const onA = await connect(t, a)
  t.same(await onA.request(rpc('auth', wrong, '1')), error('1', 401, 'Unauthorized'))
  t.same(await onA.request(rpc('auth', wrong, '2')), error('2', 403, TOO_MANY))
  const onB = await connect(t, b)
  t.same(await onB.request(rpc('auth', ADMIN, '3')), error('3', 403, TOO_MANY), 'node B refuses the black-listed address')
  t.equal((await onB.closed()).code, 1008)
})
