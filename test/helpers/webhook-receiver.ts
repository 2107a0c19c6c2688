import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { DEFAULT_WAIT } from './ws-client.js'

/** How the receiver answers the next POSTs: 2xx, an error status, or never (past any timeout). */
export type ReceiverMode = { status: number } | 'hang'

/** One POST as it arrived. */
export interface ReceivedBatch {
  body: string
  headers: IncomingMessage['headers']
  /** Whether the receiver took it (answered 2xx). */
  accepted: boolean
  events: Array<Record<string, any>> // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * A real HTTP webhook receiver on an ephemeral port: records every POST, answers as `mode` says,
 * and lets a test wait (bounded) for what it expects instead of sleeping.
 */
export class WebhookReceiver {
  readonly batches: ReceivedBatch[] = []
  mode: ReceiverMode = { status: 204 }
  readonly #hanging: ServerResponse[] = []
  #waiters: Array<() => void> = []
  readonly #server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const mode = this.mode
      const accepted = mode !== 'hang' && mode.status >= 200 && mode.status < 300
      this.batches.push({ body, headers: req.headers, accepted, events: JSON.parse(body).events })
      for (const wake of this.#waiters.splice(0)) wake()
      if (mode === 'hang') this.#hanging.push(res)
      else res.writeHead(mode.status).end()
    })
  })

  url = ''

  static async start (t: { teardown (fn: () => unknown): void }): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver()
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve))
    receiver.url = `http://127.0.0.1:${(receiver.#server.address() as { port: number }).port}/hooks`
    t.teardown(() => receiver.close())
    return receiver
  }

  /** The events of every batch the receiver took, in order. */
  get delivered (): ReceivedBatch['events'] {
    return this.batches.filter((b) => b.accepted).flatMap((b) => b.events)
  }

  /** Resolves once `predicate` holds over what arrived; rejects after `timeout` ms. */
  async until (predicate: (receiver: WebhookReceiver) => boolean, what: string, timeout = DEFAULT_WAIT): Promise<void> {
    const deadline = Date.now() + timeout
    while (!predicate(this)) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${what}: not within ${timeout} ms; batches: ${JSON.stringify(this.batches.map((b) => b.events.map((e) => e.type)))}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  async close (): Promise<void> {
    for (const res of this.#hanging.splice(0)) res.destroy()
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }
}
