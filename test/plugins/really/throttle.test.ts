import t from 'tap'
import { anonymousToken, connect, startReally } from './helpers.js'

t.test('initialize past the address budget: 429 initialize.throttled, connection kept', async (t) => {
  const app = await startReally(t, {}, { auth: { throttle: { maxFailuresPerAddress: 2 } } })
  const valid = await anonymousToken(app.url)
  const client = await connect(t, app)
  for (let tag = 1; tag <= 2; tag++) {
    t.same(await client.request({ tag, cmd: 'initialize', accessToken: 'forged' }), { tag, error: { code: 401, message: 'token.invalid' } })
  }
  t.same(await client.request({ tag: 3, cmd: 'initialize', accessToken: valid }), { tag: 3, error: { code: 429, message: 'initialize.throttled' } })
  t.same(await client.request({ tag: 4, cmd: 'initialize', accessToken: valid }), { tag: 4, error: { code: 429, message: 'initialize.throttled' } }, 'still open, still refused')
})
