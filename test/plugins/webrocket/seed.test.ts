import { join } from 'node:path'
import t from 'tap'
import { request, sharedClusterOverrides, startApp, TEST_API_KEY } from '../../helpers/app.js'
import { client } from './fixture.js'

const joe = { name: 'joe', secret: 'joe-secret', permissions: ['READ' as const] }
const ann = { name: 'ann', secret: 'ann-secret', permissions: ['READ' as const] }
const vhosts = (...users: Array<typeof joe>) => ({ protocols: { webrocket: { vhosts: { '/echo': { users } } } } })

t.test('vhost users the config file drops are removed at the next start; REST users stay', async (t) => {
  const storage = { database: `sqlite:${join(t.testdir({}), 'db.sqlite')}` }
  const first = await startApp(t, { storage, ...vhosts(joe, ann) })
  t.equal((await request(first.url, 'PUT', '/api/webrocket/vhosts/echo/users/rest', { apiKey: TEST_API_KEY, body: { secret: 'rest-secret' } })).status, 201)
  await first.app.close()

  const second = await startApp(t, { storage, ...vhosts(joe) })
  const ws = await client(second.wsUrl)
  t.teardown(() => ws.close())
  t.same(await ws.request({ authenticate: { user: 'ann', secret: 'ann-secret' } }), { err: 'USER_NOT_FOUND' }, 'ann is gone')
  t.same(await ws.request({ authenticate: { user: 'rest', secret: 'rest-secret' } }), { authenticated: 'rest' }, 'the REST user stays')
  t.same(await ws.request({ authenticate: { user: 'joe', secret: 'joe-secret' } }), { authenticated: 'joe' })
  await second.app.close()

  const third = await startApp(t, { storage, ...vhosts(joe, ann) })
  const again = await client(third.wsUrl)
  t.teardown(() => again.close())
  t.same(await again.request({ authenticate: { user: 'ann', secret: 'ann-secret' } }), { authenticated: 'ann' }, 'listed again: ann is seeded again')
})

t.test('a node starting without a vhost user closes that user\'s connections on the other nodes', async (t) => {
  const shared = await sharedClusterOverrides(t)
  const a = await startApp(t, { ...shared, ...vhosts(joe, ann) })
  const ws = await client(a.wsUrl, '/webrocket/echo', 'ann', 'ann-secret')
  t.teardown(() => ws.close())
  await startApp(t, { ...shared, ...vhosts(joe) })
  t.equal((await ws.closed()).code, 1008)
})
