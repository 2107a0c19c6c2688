import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { WsClient } from '../helpers/ws-client.js'

/**
 * How one frame from the server is read: the protocol's error reply; an error reply after which
 * the protocol closes the connection (`closing`); another reply; a push that answers no frame
 * (read past); or not the protocol's at all.
 */
export type Verdict = 'error' | 'closing' | 'reply' | 'push' | 'foreign'

export interface FuzzTally {
  sent: number
  errors: number
  replies: number
  /** Documented closes by code (the fuzzer reconnected and went on). */
  closes: Record<number, number>
  /** Frames answered by something else: a foreign frame, an undocumented close, or nothing in time. */
  failures: string[]
}

export interface FuzzOptions {
  /** Opens a connection, authenticated. */
  open: () => Promise<WsClient>
  /** Reads `text`, an answer to `frame`. */
  verdict: (text: string, frame: string | Buffer) => Verdict
  /** Close codes that are documented answers: 1009 (a frame past `server.maxPayload`, ws) and the protocol's own. */
  closes?: ReadonlySet<number>
  timeout?: number
}

type Answer = { text: string | null } | { close: { code: number } | null }

/**
 * Sends each hostile frame on an open, authenticated connection and reads its answer, one frame
 * at a time (each answer is known to belong to its frame). A documented close opens a new
 * connection and goes on. Every wait is bounded by `timeout`.
 */
export async function fuzzWebSocket (frames: Iterable<string | Buffer>, options: FuzzOptions): Promise<FuzzTally> {
  const { open, verdict, closes = new Set([1009]), timeout = 5000 } = options
  const tally: FuzzTally = { sent: 0, errors: 0, replies: 0, closes: {}, failures: [] }
  let client = await open()
  const closed = async (code: number, shown: string) => {
    if (closes.has(code)) tally.closes[code] = (tally.closes[code] ?? 0) + 1
    else tally.failures.push(`closed with ${code} after ${shown}`)
    client = await open()
  }
  for (const frame of frames) {
    tally.sent++
    client.sendRaw(frame, Buffer.isBuffer(frame))
    const shown = describe(frame)
    for (;;) {
      const answer: Answer = await Promise.race([
        client.next(timeout).then((text) => ({ text }), () => ({ text: null })),
        client.closed(timeout + 1000).then((close) => ({ close }), () => ({ close: null })),
      ])
      if ('close' in answer) {
        await closed(answer.close?.code ?? -1, shown)
        break
      }
      if (answer.text === null) {
        tally.failures.push(`no answer within ${timeout} ms to ${shown}`)
        break
      }
      const kind = verdict(answer.text, frame)
      if (kind === 'push') continue
      if (kind === 'foreign') tally.failures.push(`${answer.text.slice(0, 200)} answered ${shown}`)
      else if (kind === 'reply') tally.replies++
      else tally.errors++
      if (kind === 'closing') {
        const close = await client.closed(timeout).catch(() => null)
        await closed(close?.code ?? -1, shown)
      }
      break
    }
    if (tally.failures.length >= 10) break
  }
  client.close()
  return tally
}

/**
 * Hostile frames of one field: each hostile `inner` frame (mutated from a field's skeletons)
 * embedded as that field of an otherwise valid frame, so that the mutations reach the code past
 * the envelope's validation. Binary garbage is sent as it is.
 */
export function* embedded (inner: Iterable<string | Buffer>, wrap: (field: string) => string): Generator<string | Buffer> {
  for (const frame of inner) yield Buffer.isBuffer(frame) ? frame : wrap(frame)
}

/** Alternates frames of the given sources until all are used up. */
export function* interleaved (...sources: Array<Iterable<string | Buffer>>): Generator<string | Buffer> {
  const iterators = sources.map((s) => s[Symbol.iterator]())
  let live = iterators.length
  while (live > 0) {
    live = 0
    for (const it of iterators) {
      const next = it.next()
      if (!next.done) {
        live++
        yield next.value
      }
    }
  }
}

function describe (frame: string | Buffer): string {
  const text = Buffer.isBuffer(frame) ? `<binary ${frame.toString('hex').slice(0, 40)}>` : frame
  return text.length > 160 ? `${text.slice(0, 160)}… (${text.length} chars)` : text
}

// `global.gc` is not exposed to tap's test processes; the flag can still be set at run time, and
// a fresh context then sees `gc`. Without a collection, garbage of the fuzzing itself (frames of
// up to 1 MB) would read as growth.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Heap in use after a full collection, in MB. */
export function heapMb (): number {
  gc()
  return process.memoryUsage().heapUsed / 2 ** 20
}

/**
 * Resolves with the heap (MB) once it is within `marginMb` of `baselineMb`, or the last reading
 * after `timeout` (what a dropped session keeps is released when its reconnect window ends).
 */
export async function settledHeap (baselineMb: number, marginMb: number, timeout: number): Promise<number> {
  const deadline = Date.now() + timeout
  let heap = heapMb()
  while (heap > baselineMb + marginMb && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    heap = heapMb()
  }
  return heap
}
