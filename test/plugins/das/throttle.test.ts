import t from 'tap'
import { login, startApp } from '../../helpers/app.js'
import { DasClient } from './das-client.js'

t.test('authorization past the address budget: 429, then the socket is dropped', async (t) => {
  const app = await startApp(t, { auth: { throttle: { maxFailuresPerAddress: 2 } }, protocols: { das: { authWindow: 0, connectAckDelay: 0 } } })
  const token = await login(app.url)
  const client = await DasClient.connect(app.url)
  t.teardown(() => client.close())
  for (let id = 1; id <= 2; id++) {
    client.emit('authorization', { type: 'authorization', id, authorization: 'Bearer forged' })
    t.match((await client.nextEntry('resp_authorization')).payload, { resp_id: id, status: { code: 401, message: 'Invalid credentials' } })
  }
  client.emit('authorization', { type: 'authorization', id: 3, authorization: `Bearer ${token}` })
  t.match((await client.nextEntry('resp_authorization')).payload, { resp_id: 3, status: { code: 429 } })
  t.ok(await client.disconnected())
})
