import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Test } from 'tap'
import { WebSocket, type RawData } from 'ws'

/**
 * The fuzz loop shared by the WebSocket protocols' hostile suites (issue 14): each hostile frame
 * is followed by a marker request the protocol answers at once, so the replies between two marker
 * answers belong to that frame. A frame must get at least one reply that is a frame of the
 * protocol, or close the connection in the way its protocol documents (the loop then reconnects
 * and goes on). Frames go one at a time: a frame's replies must be told apart from the next one's.
 */
export interface SocketFuzzTarget {
  url: string
  /** A frame that logs the connection in, and whether a reply is its success. */
  login: string
  isLoggedIn (reply: string): boolean
  /** A request answered at once and recognisably, numbered. */
  marker (n: number): string
  isMarkerReply (reply: string, n: number): boolean
  /** Is this a frame of the protocol (a reply, an error reply or a delivery)? */
  isProtocolFrame (reply: string): boolean
  /** Is this one of the protocol's error replies? */
  isError (reply: string): boolean
  /** The close code the protocol documents for this frame (`text`: sent as a text frame), or null. */
  documentedClose (frame: string | Buffer, text: boolean): number | null
  /** A frame the protocol answers with nothing (e.g. syscache `auth_clear`). */
  maySkipReply (frame: string | Buffer): boolean
}

export interface FuzzOutcome {
  sent: number
  errors: number
  /** Replies that are not errors: frames that got through every check to the session's work. */
  successes: number
  closes: Record<number, number>
  /** Every break of the rules, described (empty when the protocol held). */
  failures: string[]
}

const WAIT = 5000

/** A `ws` client that hands its frames and its close over one bounded wait. */
class FuzzSocket {
  readonly #queue: Array<string | { closed: number }> = []
  #waiter: ((item: string | { closed: number }) => void) | null = null

  private constructor (readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => this.#push(data.toString()))
    ws.once('close', (code: number) => this.#push({ closed: code }))
    ws.on('error', () => {}) // a close follows
  }

  static open (url: string, maxPayload: number): Promise<FuzzSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload })
      const socket = new FuzzSocket(ws)
      const timer = setTimeout(() => reject(new Error(`connect to ${url} timed out`)), WAIT)
      ws.once('open', () => { clearTimeout(timer); resolve(socket) })
      ws.once('error', (err) => { clearTimeout(timer); reject(err) })
    })
  }

  #push (item: string | { closed: number }): void {
    const waiter = this.#waiter
    if (waiter) {
      this.#waiter = null
      waiter(item)
    } else {
      this.#queue.push(item)
    }
  }

  /** The next frame, or the close; rejects after `timeout` ms. */
  next (timeout = WAIT): Promise<string | { closed: number }> {
    const queued = this.#queue.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = null
        reject(new Error(`nothing within ${timeout} ms`))
      }, timeout)
      this.#waiter = (item) => { clearTimeout(timer); resolve(item) }
    })
  }

  send (frame: string | Buffer, binary = false): void {
    this.ws.send(frame, { binary })
  }

  close (): void {
    this.ws.terminate()
  }
}

async function loggedIn (target: SocketFuzzTarget, socket: FuzzSocket): Promise<void> {
  socket.send(target.login)
  const reply = await socket.next()
  if (typeof reply !== 'string' || !target.isLoggedIn(reply)) throw new Error(`login failed: ${JSON.stringify(reply)}`)
}

const describe = (frame: string | Buffer) => (typeof frame === 'string' ? frame : frame.toString('hex')).slice(0, 120)

/**
 * Sends every frame (Buffers alternately as binary and as text frames) and checks the protocol's
 * answer to each; logs in again every `reloginEvery` frames, since hostile frames log out too.
 */
export async function fuzzSocket (target: SocketFuzzTarget, frames: Iterable<string | Buffer>, { maxPayload = 4 * 1024 * 1024, reloginEvery = 25 } = {}): Promise<FuzzOutcome> {
  const outcome: FuzzOutcome = { sent: 0, errors: 0, successes: 0, closes: {}, failures: [] }
  const connect = async () => {
    const socket = await FuzzSocket.open(target.url, maxPayload)
    await loggedIn(target, socket)
    return socket
  }
  let socket = await connect()
  let n = 0
  try {
    for (const frame of frames) {
      n++
      if (n % reloginEvery === 0) await loggedIn(target, socket)
      const asText = typeof frame === 'string' || n % 2 === 0
      socket.send(frame, !asText)
      socket.send(target.marker(n))
      outcome.sent++
      let replies = 0
      let marked = false
      // Replies until the marker's answer, then (for replies that come when a backend call
      // settles) until the frame had one, unless it may have none.
      while (!marked || (replies === 0 && !target.maySkipReply(frame))) {
        const item = await socket.next().catch((err: Error) => err)
        if (item instanceof Error) {
          outcome.failures.push(`frame ${n} ${describe(frame)}: ${item.message} (${replies} replies)`)
          break
        }
        if (typeof item !== 'string') {
          const documented = target.documentedClose(frame, asText)
          outcome.closes[item.closed] = (outcome.closes[item.closed] ?? 0) + 1
          if (documented !== item.closed) outcome.failures.push(`frame ${n} ${describe(frame)}: closed ${item.closed}, documented ${documented}`)
          socket = await connect()
          break
        }
        if (!marked && target.isMarkerReply(item, n)) {
          marked = true
          continue
        }
        replies++
        if (!target.isProtocolFrame(item)) outcome.failures.push(`frame ${n} ${describe(frame)}: reply not of the protocol: ${item.slice(0, 120)}`)
        else if (target.isError(item)) outcome.errors++
        else outcome.successes++
      }
      if (outcome.failures.length > 20) break
    }
  } finally {
    socket.close()
  }
  return outcome
}

/**
 * Checks a run: no rule broken, every frame sent, and some frames got past validation (mutations
 * keep the frame's type, so hostile frames reach the session's deeper code too).
 */
export function checkOutcome (t: Test, outcome: FuzzOutcome, count: number, ms: number): void {
  t.comment(`${outcome.sent} frames in ${ms} ms: ${outcome.errors} errors, ${outcome.successes} successes, closes ${JSON.stringify(outcome.closes)}`)
  t.same(outcome.failures, [], 'every frame answered by the protocol or a documented close')
  t.equal(outcome.sent, count)
  t.ok(outcome.successes > 0, 'some frames reached the session\'s work')
}

let gc: (() => void) | undefined

/**
 * Heap in use after a full collection, so that a before/after comparison measures what stayed
 * rather than garbage not collected yet. Node is not started with --expose-gc under tap: the flag
 * is set at run time and `gc` taken from a fresh context (V8 reads the flag when it makes one).
 */
export function heapAfterGc (): number {
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as () => void
  }
  gc()
  return process.memoryUsage().heapUsed
}

/** The heap is back within `slackMb` of where it was before the run. */
export function checkHeap (t: Test, before: number, slackMb = 50): void {
  const after = heapAfterGc()
  t.ok(after - before < slackMb * 1024 * 1024, `heap after a collection: ${Math.round(before / 1e6)} MB before, ${Math.round(after / 1e6)} MB after`)
}
