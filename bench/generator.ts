// Load-generator child process: opens subscriber connections (handshake per the subject's
// wire), counts deliveries without parsing them, samples latency on every Nth frame, and
// optionally publishes at a paced rate. Driven by the orchestrator over IPC.
import { Agent, request as httpRequest } from 'node:http'
import type { Socket } from 'node:net'
import WebSocket from 'ws'
import { serveRequests } from './lib/ipc.js'
import { now, processStats } from './lib/stats.js'
import { CREDENTIALS, WIRES, extractSentAt, payload, subscribeSteps, type Publisher, type Step, type SubjectName, type Wire } from './lib/wire.js'

const HOST = '127.0.0.1'
const HANDSHAKE_TIMEOUT_MS = 20_000
/** Publishes are skipped (not queued without bound) while this many bytes wait on the publisher. */
const PUBLISHER_BUFFER_CAP = 512 * 1024
const HTTP_IN_FLIGHT_CAP = 64
const SAMPLE_CAP = 50_000

// ---- delivery counting (the hot path: one increment per frame, a byte search on sampled ones) ----

let received = 0
let sampleMask = 63
let samples: number[] = []

function onDelivery (data: Buffer): void {
  if ((++received & sampleMask) !== 0) return
  const sentAt = extractSentAt(data)
  if (sentAt === sentAt && samples.length < SAMPLE_CAP) samples.push(now() - sentAt)
}

// ---- acknowledgements (DAS): written per socket under one cork per tick, not one write each ----

const corked = new Set<Socket>()
let uncorkScheduled = false

function uncorkAll (): void {
  uncorkScheduled = false
  for (const socket of corked) socket.uncork()
  corked.clear()
}

function acknowledge (ws: WebSocket, reply: string): void {
  // ws keeps its net.Socket in a private field; corking it batches this tick's acks into one write.
  const socket = (ws as unknown as { _socket?: Socket })._socket
  if (socket && !corked.has(socket)) {
    socket.cork()
    corked.add(socket)
    if (!uncorkScheduled) {
      uncorkScheduled = true
      setImmediate(uncorkAll)
    }
  }
  ws.send(reply)
}

// ---- connections ----

const subscribers = new Set<WebSocket>()
let droppedSubscribers = 0

/** Opens one socket and runs the handshake steps; resolves with the open socket. */
function handshake (wire: Wire, port: number, localAddress: string, steps: Step[]): Promise<WebSocket> {
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${port}${wire.path}`, {
      localAddress,
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    })
    let index = 0
    const timer = setTimeout(() => fail(new Error('handshake timed out')), HANDSHAKE_TIMEOUT_MS)
    const fail = (err: Error) => {
      clearTimeout(timer)
      ws.removeAllListeners('message')
      ws.terminate()
      reject(err)
    }
    const advance = () => {
      if (index >= steps.length) {
        clearTimeout(timer)
        ws.removeAllListeners('message')
        resolve(ws)
        return
      }
      const send = steps[index].send
      if (send !== null) ws.send(send)
    }
    ws.on('error', (err) => fail(err))
    ws.once('close', () => fail(new Error('closed during handshake')))
    ws.on('open', advance)
    ws.on('message', (data: Buffer) => {
      const text = data.toString()
      if (wire.pong && text === wire.pong.ping) {
        ws.send(wire.pong.reply)
        return
      }
      const verdict = steps[index]?.check(text)
      if (verdict === false) fail(new Error(`refused: ${text.slice(0, 120)}`))
      else if (verdict === true) {
        index++
        advance()
      }
    })
  }).then((ws) => {
    ws.removeAllListeners('error')
    ws.removeAllListeners('close')
    ws.removeAllListeners('open')
    ws.on('error', () => {})
    return ws
  })
}

function addressFor (index: number): string {
  // 127.0.0.2 … 127.0.0.251: spreads source ports so repeated runs do not run out of them.
  return `127.0.0.${2 + (index % 250)}`
}

interface ConnectArgs { subject: SubjectName, port: number, count: number, concurrency: number, addressBase: number }
interface ConnectResult { opened: number, failed: number, ms: number, firstError: string | null }

/** A bearer token from the subject's token route (DAS: OAuth password grant). */
function fetchToken (port: number, spec: NonNullable<Wire['token']>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: HOST, port, method: 'POST', path: spec.path, timeout: HANDSHAKE_TIMEOUT_MS,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(spec.body) },
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.once('end', () => {
        try {
          const token = (JSON.parse(body) as { access_token?: unknown }).access_token
          if (res.statusCode === 200 && typeof token === 'string') resolve(token)
          else reject(new Error(`token: HTTP ${res.statusCode} ${body.slice(0, 120)}`))
        } catch (err) {
          reject(err as Error)
        }
      })
    })
    req.once('timeout', () => req.destroy(new Error('token: timed out')))
    req.once('error', reject)
    req.end(spec.body)
  })
}

/** What a subscriber does with each frame once subscribed. */
function deliveryHandler (ws: WebSocket, wire: Wire): (data: Buffer) => void {
  const { pong, ack, withholdAcks } = wire
  const isPing = (data: Buffer) => pong !== undefined && data.length === pong.ping.length && data.toString() === pong.ping
  if (ack) {
    return (data) => {
      if (isPing(data)) return ws.send(pong!.reply)
      const reply = ack(data)
      if (reply === null) return
      onDelivery(data)
      if (!withholdAcks) acknowledge(ws, reply)
    }
  }
  if (pong) {
    return (data) => {
      if (isPing(data)) ws.send(pong.reply)
      else onDelivery(data)
    }
  }
  return onDelivery
}

/**
 * Tokens by subject and port: fetched once (`login`, before a timed pass, or on first connect),
 * as a dashboard logs in once and then opens its connections.
 */
const tokens = new Map<string, string>()

async function login (subject: SubjectName, port: number): Promise<string | null> {
  const spec = WIRES[subject].token
  if (!spec) return null
  const key = `${subject}:${port}`
  let token = tokens.get(key)
  if (token === undefined) tokens.set(key, token = await fetchToken(port, spec))
  return token
}

async function connect ({ subject, port, count, concurrency, addressBase }: ConnectArgs): Promise<ConnectResult> {
  const wire = WIRES[subject]
  const started = now()
  const steps = subscribeSteps(wire, await login(subject, port))
  let next = 0
  let opened = 0
  let failed = 0
  let firstError: string | null = null
  const worker = async () => {
    while (next < count) {
      const index = next++
      try {
        const ws = await handshake(wire, port, addressFor(addressBase + index), steps)
        subscribers.add(ws)
        opened++
        ws.on('message', deliveryHandler(ws, wire))
        ws.once('close', () => {
          if (subscribers.delete(ws)) droppedSubscribers++
        })
      } catch (err) {
        failed++
        firstError ??= (err as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker))
  return { opened, failed, ms: now() - started, firstError }
}

async function closeAll (): Promise<{ closed: number }> {
  tokens.clear() // the next server is a new one, perhaps on the same port
  const closed = subscribers.size
  for (const ws of subscribers) {
    subscribers.delete(ws)
    ws.terminate()
  }
  return { closed }
}

// ---- publishing ----

interface PublisherHandle { canSend (): boolean, send (text: string): void, stats (): { failed: number }, close (): void }
let publisher: PublisherHandle | null = null

async function openPublisher (subject: SubjectName, port: number): Promise<PublisherHandle> {
  const wire = WIRES[subject]
  const spec = wire.publisher as Publisher
  if (!spec) throw new Error(`${subject} has no publisher`)
  if (spec.kind === 'ws') {
    const ws = await handshake(wire, port, HOST, spec.steps)
    const pong = wire.pong
    ws.on('message', (data: Buffer) => { if (pong && data.length === 1 && data.toString() === pong.ping) ws.send(pong.reply) })
    return {
      canSend: () => ws.readyState === WebSocket.OPEN && ws.bufferedAmount < PUBLISHER_BUFFER_CAP,
      send: (text) => ws.send(spec.frame(text)),
      stats: () => ({ failed: 0 }),
      close: () => ws.terminate(),
    }
  }
  // A service publishing through the REST door: keep-alive sockets, a bounded number in flight.
  const agent = new Agent({ keepAlive: true, maxSockets: 16 })
  let inFlight = 0
  let failed = 0
  return {
    canSend: () => inFlight < HTTP_IN_FLIGHT_CAP,
    send: (text) => {
      const body = spec.body(text)
      inFlight++
      const req = httpRequest({
        agent, host: HOST, port, method: 'POST', path: spec.path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': CREDENTIALS.apiKey },
      }, (res) => {
        if (res.statusCode === undefined || res.statusCode >= 300) failed++
        res.resume()
        res.once('end', () => { inFlight-- })
      })
      req.once('error', () => {
        inFlight--
        failed++
      })
      req.end(body)
    },
    stats: () => ({ failed }),
    close: () => agent.destroy(),
  }
}

interface PublishResult { sent: number, skipped: number, failed: number, ms: number }

/** Offers `rate` publishes/s for `durationMs`, each stamped with its send time. */
function publish ({ rate, durationMs }: { rate: number, durationMs: number }): Promise<PublishResult> {
  const handle = publisher
  if (!handle) throw new Error('no publisher')
  const failedBefore = handle.stats().failed
  const started = now()
  let sent = 0
  let skipped = 0
  return new Promise((resolve) => {
    const tick = () => {
      const elapsed = now() - started
      const due = Math.floor((rate * Math.min(elapsed, durationMs)) / 1000)
      while (sent + skipped < due) {
        if (handle.canSend()) {
          handle.send(payload(now()))
          sent++
        } else {
          skipped++
        }
      }
      if (elapsed >= durationMs) resolve({ sent, skipped, failed: handle.stats().failed - failedBefore, ms: elapsed })
      else setTimeout(tick, 1)
    }
    tick()
  })
}

// ---- IPC ----

const ipc = serveRequests({
  connect: (args: ConnectArgs) => connect(args),
  login: ({ subject, port }: { subject: SubjectName, port: number }) => login(subject, port).then((token) => token !== null),
  closeAll: () => closeAll(),
  openPublisher: async ({ subject, port }: { subject: SubjectName, port: number }) => {
    publisher?.close()
    publisher = await openPublisher(subject, port)
    return true
  },
  closePublisher: () => {
    publisher?.close()
    publisher = null
    return true
  },
  publish: (args: { rate: number, durationMs: number }) => publish(args),
  /** Counters now; starts a new latency window sampling every `sampleEvery`-th frame (a power of two). */
  mark: ({ sampleEvery }: { sampleEvery: number }) => {
    const result = { ...processStats(), received, subscribers: subscribers.size, dropped: droppedSubscribers, samples }
    samples = []
    sampleMask = Math.max(1, sampleEvery) - 1
    return result
  },
  stats: () => ({ ...processStats(), subscribers: subscribers.size, dropped: droppedSubscribers }),
  stop: () => {
    void closeAll()
    publisher?.close()
    setImmediate(() => process.exit(0))
    return true
  },
})
ipc.ready({ pid: process.pid })
