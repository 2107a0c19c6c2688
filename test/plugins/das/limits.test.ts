import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { ALICE } from '../../helpers/config.js'
import { authorizedClient, dasOverrides, oauthToken } from './das-client.js'

// Issue 14 input limits in DAS (README "Limits"): a message nested past limits.maxDepth, or a
// filter with a reserved key, gets its event's own failure answer (§5.4) and the socket lives on.

const deep = (levels: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < levels; i++) value = [value]
  return value
}

t.test('deep messages and reserved filter keys are answered with the event\'s failure', async (t) => {
  const { url } = await startApp(t, { ...dasOverrides(), limits: { maxDepth: 64 }, server: { maxPayload: 2 ** 20 } })
  const client = await authorizedClient(t, url, await oauthToken(url, ALICE))
  // socket.io-client itself cannot encode much deeper values (its JSON.stringify overflows).
  for (const levels of [65, 1_000, 2_000]) {
    t.same(await client.request('echo', { id: 3, data: deep(levels) }, 'echo_resp'),
      { type: 'echo_resp', resp_id: 3, message: null, error: 'nested deeper than 64 levels' }, `echo ${levels} levels`)
    t.same(await client.request('event_filter', { id: 4, filter: deep(levels) }, 'event_filter_response'),
      { message: 'Failed to set event_filter.', error: 'nested deeper than 64 levels', resp_id: 4 }, `event_filter ${levels} levels`)
  }
  t.same(await client.request('patrol_filter', JSON.parse('{"filter":{"__proto__":{"x":1}}}'), 'patrol_filter_response'),
    { message: 'Failed to set patrol_filter.', error: 'the key "__proto__" is not allowed' })
  t.same(await client.request('echo', { id: 5, data: deep(60) }, 'echo_resp'), { type: 'echo_resp', resp_id: 5, message: deep(60) }, 'within the limit')
})
