import { WebSocket, type RawData } from 'ws'
import { QUIET_LOCAL } from './quiet.js'
import type { FrameCheck } from './server-frames.js'

export const DEFAULT_WAIT = 2000

/**
 * A `ws` test client that queues every frame so tests can await them in order. Every wait is
 * bounded; `expectNothing` asserts quiet for a window instead of sleeping blindly. A client of a
 * protocol is given that protocol's `serverFrames` check, which sees every frame on arrival; a test
 * that means to receive odd frames (hostile input) may set `check` to undefined.
 */
export class WsClient {
  readonly frames: string[] = []
  #waiters: Array<(frame: string) => void> = []
  #closed: Promise<{ code: number, reason: string }>
  closeInfo: { code: number, reason: string } | null = null

  private constructor (readonly ws: WebSocket, public check: FrameCheck | undefined) {
    ws.on('message', (data: RawData) => {
      const text = data.toString()
      this.check?.(text)
      const waiter = this.#waiters.shift()
      if (waiter) waiter(text)
      else this.frames.push(text)
    })
    this.#closed = new Promise((resolve) => ws.once('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() }
      resolve(this.closeInfo)
    }))
  }

  /** Opens a socket; rejects with the HTTP status if the upgrade is refused. */
  static connect (url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}, check?: FrameCheck): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options)
      const client = new WsClient(ws, check)
      const timer = setTimeout(() => reject(new Error(`connect to ${url} timed out`)), DEFAULT_WAIT)
      ws.once('open', () => { clearTimeout(timer); resolve(client) })
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer)
        let body = ''
        res.on('data', (c: Buffer) => { body += c.toString() })
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode, body })))
      })
      ws.once('error', (err) => { clearTimeout(timer); reject(err) })
    })
  }

  send (value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value))
  }

  sendRaw (data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary })
  }

  /** The next frame as text. */
  next (timeout = DEFAULT_WAIT): Promise<string> {
    const queued = this.frames.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        reject(new Error(`no frame within ${timeout} ms`))
      }, timeout)
      const waiter = (frame: string) => { clearTimeout(timer); resolve(frame) }
      this.#waiters.push(waiter)
    })
  }

  /** The next frame, parsed. */
  async json<T = any> (timeout = DEFAULT_WAIT): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return JSON.parse(await this.next(timeout)) as T
  }

  /** Sends and returns the next frame, parsed. */
  async request<T = any> (value: unknown, timeout = DEFAULT_WAIT): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    this.send(value)
    return this.json<T>(timeout)
  }

  /** Resolves if no frame arrives within `quiet` ms; rejects with the frame otherwise. */
  async expectNothing (quiet = QUIET_LOCAL): Promise<void> {
    try {
      const frame = await this.next(quiet)
      throw Object.assign(new Error(`unexpected frame: ${frame}`), { unexpected: true })
    } catch (err) {
      if ((err as { unexpected?: boolean }).unexpected) throw err
    }
  }

  /** Resolves with the close code and reason once the socket closed. */
  closed (timeout = DEFAULT_WAIT): Promise<{ code: number, reason: string }> {
    return Promise.race([
      this.#closed,
      new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`socket still open after ${timeout} ms`)), timeout).unref()),
    ])
  }

  close (): void {
    this.ws.close()
  }
}

/** Waits until `predicate` holds, polling on the event loop; bounded. */
export async function eventually (predicate: () => boolean | Promise<boolean>, timeout = DEFAULT_WAIT, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeout} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
