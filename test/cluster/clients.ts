import { WsClient } from '../helpers/ws-client.js'

interface TestLike { teardown (fn: () => unknown): void }

/** A WebSocket client closed when the test ends. */
export async function open (t: TestLike, url: string): Promise<WsClient> {
  const client = await WsClient.connect(url)
  t.teardown(() => client.close())
  return client
}
