import { createRequire } from 'node:module'
import { io as ioV4 } from 'socket.io-client'
import { DATA_EVENT_TYPES } from '../../../plugins/das/messages.js'
import { request } from '../../helpers/app.js'
import { dasEvents, type EventCheck } from '../../helpers/server-frames.js'
import { QUIET_LOCAL } from '../../helpers/quiet.js'

export const DEFAULT_WAIT = 2000

/** What the tests need of a socket.io-client socket, v4 or v2. */
interface RawSocket {
  id?: string
  connected: boolean
  on (event: string, listener: (...args: any[]) => void): unknown // eslint-disable-line @typescript-eslint/no-explicit-any
  once (event: string, listener: (...args: any[]) => void): unknown // eslint-disable-line @typescript-eslint/no-explicit-any
  off (event: string, listener: (...args: any[]) => void): unknown // eslint-disable-line @typescript-eslint/no-explicit-any
  /** socket.io-client 3+ only (not 2.x). */
  onAny?: (listener: (event: string, ...args: unknown[]) => void) => unknown
  emit (event: string, ...args: unknown[]): unknown
  close (): unknown
}

// socket.io-client 2.x ships no types; it is CommonJS, loaded as such.
const ioV2 = createRequire(import.meta.url)('socket.io-client-v2') as (url: string, options: object) => RawSocket

export type ClientVersion = 2 | 4

/** Every event the tests await on /das ('message' only to see one arrive: the server never sends it). */
export const SERVER_EVENTS = [
  'connect_ack', 'resp_authorization', 'bbox_resp', 'event_filter_response', 'patrol_filter_response',
  'echo_resp', 'message', ...DATA_EVENT_TYPES,
]

export interface Received {
  payload: Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  ack?: (...args: unknown[]) => void
}

export interface ConnectOptions {
  version?: ClientVersion
  transports?: string[]
  namespace?: string
  path?: string
  /** Acknowledge data events with their trace_id as das-web-react does (default true). */
  autoAck?: boolean
  /**
   * Run on every event received (default: `dasEvents()`, which fails the test on an event that
   * is not in plugins/das/messages.ts ServerEvents); null for none.
   */
  check?: EventCheck | null
  extraHeaders?: Record<string, string>
  /**
   * Reconnect by itself as a dashboard does (default false): with the client library's own
   * delays (1 s ± 50 %, doubling up to 5 s, the same in 2.x and 4.x), or every `delay` ms.
   */
  reconnect?: boolean | { delay: number }
}

/**
 * A real socket.io client (4.x or 2.x) on the DAS namespace that queues every server event
 * by name, so tests await them in order; every wait is bounded.
 */
export class DasClient {
  readonly #queues = new Map<string, Received[]>()
  readonly #waiters = new Map<string, Array<(r: Received) => void>>()
  readonly #disconnected: Promise<string>
  disconnectReason: string | null = null

  private constructor (readonly socket: RawSocket, readonly version: ClientVersion, public autoAck: boolean, check: EventCheck | null) {
    // Clients of 3+ see every event; a 2.x client, only those it listens to (below).
    if (check && socket.onAny) socket.onAny((event, ...args) => check(event, args))
    else if (check) for (const event of SERVER_EVENTS) socket.on(event, (...args: unknown[]) => check(event, args))
    for (const event of SERVER_EVENTS) {
      socket.on(event, (payload: Record<string, unknown>, ack?: (...args: unknown[]) => void) => {
        if (this.autoAck && typeof ack === 'function') ack(payload?.trace_id)
        this.#push(event, { payload, ack })
      })
    }
    this.#disconnected = new Promise((resolve) => socket.on('disconnect', (reason: string) => {
      this.disconnectReason = reason
      resolve(reason)
    }))
  }

  static connect (base: string, options: ConnectOptions = {}): Promise<DasClient> {
    const version = options.version ?? 4
    const url = base + (options.namespace ?? '/das')
    const settings = {
      path: options.path ?? '/socket.io',
      transports: options.transports ?? ['websocket'],
      reconnection: options.reconnect !== undefined && options.reconnect !== false,
      ...(typeof options.reconnect === 'object' ? { reconnectionDelay: options.reconnect.delay, randomizationFactor: 0 } : {}),
      forceNew: true,
      timeout: DEFAULT_WAIT,
      ...(options.extraHeaders ? { extraHeaders: options.extraHeaders } : {}),
    }
    const socket = version === 4 ? ioV4(url, settings) as unknown as RawSocket : ioV2(url, settings)
    const client = new DasClient(socket, version, options.autoAck ?? true, options.check === undefined ? dasEvents() : options.check)
    return new Promise((resolve, reject) => {
      // Listeners of the first connection only: a failed reconnection attempt must not close the socket.
      const settle = (err?: Error) => {
        clearTimeout(timer)
        socket.off('connect', connected)
        socket.off('connect_error', failed)
        socket.off('error', failed)
        if (err === undefined) return resolve(client)
        socket.close()
        reject(err)
      }
      const connected = () => settle()
      const failed = (err: unknown) => settle(err instanceof Error ? err : new Error(String(err)))
      const timer = setTimeout(() => settle(new Error(`connect to ${url} timed out`)), DEFAULT_WAIT)
      socket.on('connect', connected)
      socket.on('connect_error', failed)
      socket.on('error', failed)
    })
  }

  get id (): string {
    if (!this.socket.id) throw new Error('not connected')
    return this.socket.id
  }

  get connected (): boolean {
    return this.socket.connected
  }

  emit (event: string, ...args: unknown[]): void {
    this.socket.emit(event, ...args)
  }

  /** The next `event` (payload and ack callback). */
  nextEntry (event: string, timeout = DEFAULT_WAIT): Promise<Received> {
    const queued = this.#queues.get(event)?.shift()
    if (queued) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const waiters = this.#waiters.get(event) ?? []
      this.#waiters.set(event, waiters)
      const waiter = (r: Received) => { clearTimeout(timer); resolve(r) }
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1)
        reject(new Error(`no ${event} within ${timeout} ms`))
      }, timeout)
      waiters.push(waiter)
    })
  }

  /** The payload of the next `event`. */
  async next (event: string, timeout = DEFAULT_WAIT): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return (await this.nextEntry(event, timeout)).payload
  }

  /** Sends `event` and waits for `reply`. */
  async request (event: string, arg: unknown, reply: string, timeout = DEFAULT_WAIT): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    this.emit(event, arg)
    return this.next(reply, timeout)
  }

  authorize (token: string, id: number | string = 1, timeout = DEFAULT_WAIT): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.request('authorization', { type: 'authorization', id, authorization: `Bearer ${token}` }, 'resp_authorization', timeout)
  }

  /** Resolves when no `event` arrives for `ms`; rejects with it otherwise. */
  expectNothing (event: string, ms = QUIET_LOCAL): Promise<void> {
    return new Promise((resolve, reject) => {
      const queued = this.#queues.get(event)?.shift()
      if (queued) return reject(new Error(`unexpected ${event}: ${JSON.stringify(queued.payload)}`))
      const waiters = this.#waiters.get(event) ?? []
      this.#waiters.set(event, waiters)
      const waiter = (r: Received) => { clearTimeout(timer); reject(new Error(`unexpected ${event}: ${JSON.stringify(r.payload)}`)) }
      const timer = setTimeout(() => { waiters.splice(waiters.indexOf(waiter), 1); resolve() }, ms)
      waiters.push(waiter)
    })
  }

  /** Resolves with the reason once the server dropped the socket; rejects after `timeout`. */
  disconnected (timeout = DEFAULT_WAIT): Promise<string> {
    return Promise.race([
      this.#disconnected,
      new Promise<string>((_resolve, reject) => setTimeout(() => reject(new Error(`still connected after ${timeout} ms`)), timeout).unref()),
    ])
  }

  /** Resolves when the socket connects again (a client made with `reconnect`); rejects after `timeout`. */
  reconnected (timeout = DEFAULT_WAIT): Promise<void> {
    return new Promise((resolve, reject) => {
      const connected = () => { clearTimeout(timer); resolve() }
      const timer = setTimeout(() => {
        this.socket.off('connect', connected)
        reject(new Error(`not connected again within ${timeout} ms`))
      }, timeout)
      this.socket.once('connect', connected)
    })
  }

  /** Resolves if the socket stays connected for `ms`. */
  async staysConnected (ms = QUIET_LOCAL): Promise<void> {
    const outcome = await Promise.race([
      this.#disconnected.then(() => 'disconnected'),
      new Promise<string>((resolve) => setTimeout(() => resolve('connected'), ms)),
    ])
    if (outcome !== 'connected') throw new Error(`disconnected: ${this.disconnectReason}`)
  }

  close (): void {
    this.socket.close()
  }

  #push (event: string, received: Received): void {
    const waiter = this.#waiters.get(event)?.shift()
    if (waiter) return waiter(received)
    const queue = this.#queues.get(event) ?? []
    this.#queues.set(event, queue)
    queue.push(received)
  }
}

/** The auth window of `dasOverrides` (ms). */
export const AUTH_WINDOW = 500

/**
 * Shrunk DAS timers for tests (ms). traceTtl stays long enough that auto-acks on a loaded
 * machine never miss it; tests about unacknowledged traces shrink it themselves.
 */
export function dasOverrides (das: Record<string, unknown> = {}): Record<string, unknown> {
  return { protocols: { das: { authWindow: AUTH_WINDOW, connectAckDelay: 50, traceTtl: 1500, cleanupInterval: 50, ...das } } }
}

/** Opens a client, closed at test end. */
export async function openClient (t: { teardown (fn: () => unknown): void }, base: string, options: ConnectOptions = {}): Promise<DasClient> {
  const client = await DasClient.connect(base, options)
  t.teardown(() => client.close())
  return client
}

/** An authorized client of `user`'s token. */
export async function authorizedClient (t: { teardown (fn: () => unknown): void }, base: string, token: string, options: ConnectOptions = {}): Promise<DasClient> {
  const client = await openClient(t, base, options)
  const reply = await client.authorize(token)
  if (reply.status?.code !== 200) throw new Error(`authorization failed: ${JSON.stringify(reply)}`)
  return client
}

/** An OAuth access token as a DAS web client gets it (§5.6). */
export async function oauthToken (base: string, user: { username: string, password: string }): Promise<string> {
  const { status, body } = await request(base, 'POST', '/oauth2/token', {
    form: { grant_type: 'password', username: user.username, password: user.password, client_id: 'das_web_client' },
  })
  if (status !== 200) throw new Error(`oauth failed: ${status} ${JSON.stringify(body)}`)
  return body.access_token as string
}
