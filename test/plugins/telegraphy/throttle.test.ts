import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { authToken, open, telegraphyOverrides } from './helpers.js'

t.test('CONNECT and RECONNECT: past the address budget TOO_MANY_ATTEMPTS, then close 1008', async (t) => {
  const app = await startApp(t, { ...telegraphyOverrides(), auth: { throttle: { maxFailuresPerAddress: 2 } } })
  const valid = await authToken(app.url)
  for (let i = 0; i < 2; i++) {
    const client = await open(app.wsUrl)
    t.teardown(() => client.close())
    t.match(await client.request({ message: 'CONNECT', id: i, args: { auth_token: `guess-${i}` } }), { success: false, status: 'INVALID_TOKEN' })
  }
  const connect = await open(app.wsUrl)
  t.teardown(() => connect.close())
  t.match(await connect.request({ message: 'CONNECT', id: 9, args: { auth_token: valid } }), { success: false, status: 'TOO_MANY_ATTEMPTS', id: 9 })
  t.equal((await connect.closed()).code, 1008)
  const reconnect = await open(app.wsUrl)
  t.teardown(() => reconnect.close())
  t.match(await reconnect.request({ message: 'RECONNECT', id: 10, session_token: 'guess' }), { success: false, status: 'TOO_MANY_ATTEMPTS' })
  t.equal((await reconnect.closed()).code, 1008)
})
