import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { Connection } from '../connection.js'
import type { ConnectionRegistry } from '../connection-registry.js'
import { SwitchboardError } from '../errors.js'
import type { Hub, Subscriber } from '../hub/hub.js'
import type { HubMessage } from '../hub/message.js'
import { randomId } from '../ids.js'
import type { PresenceStore } from '../presence/presence-store.js'
import type { PresenceTracker } from '../presence/presence-tracker.js'

/** Hub topic every node listens on for the connections API's questions. */
export const CONNECTIONS_TOPIC = 'core:connections'
const replyTopic = (node: string) => `core:connections:${node}`

/** One connection as the connections API lists it. */
export const ConnectionView = Type.Object({
  id: Type.String(),
  node: Type.String(),
  protocol: Type.String(),
  user: Type.Union([Type.String(), Type.Null()]),
  address: Type.String(),
  /** ms since the epoch. */
  connectedSince: Type.Number(),
  /** The protocol's own channel names (presence's). */
  subscriptions: Type.Array(Type.String()),
  framesIn: Type.Number(),
  framesOut: Type.Number(),
  bytesIn: Type.Number(),
  bytesOut: Type.Number(),
})
export type ConnectionView = Static<typeof ConnectionView>

const Ask = Type.Union([
  Type.Object({ kind: Type.Literal('list'), ask: Type.String(), from: Type.String(), protocol: Type.Optional(Type.String()), user: Type.Optional(Type.String()), after: Type.Optional(Type.String()), limit: Type.Integer({ minimum: 1 }) }),
  Type.Object({ kind: Type.Literal('close'), ask: Type.String(), from: Type.String(), id: Type.String() }),
  Type.Object({ kind: Type.Literal('close-user'), ask: Type.String(), from: Type.String(), username: Type.String() }),
])
type Ask = Static<typeof Ask>
type AskBody = Ask extends infer A ? A extends Ask ? Omit<A, 'ask' | 'from'> : never : never
const checkAsk = TypeCompiler.Compile(Ask)

const Answer = Type.Object({
  ask: Type.String(),
  node: Type.String(),
  connections: Type.Optional(Type.Array(ConnectionView)),
  closed: Type.Optional(Type.Integer({ minimum: 0 })),
})
type Answer = Static<typeof Answer>
const checkAnswer = TypeCompiler.Compile(Answer)

/** Nodes that did not answer in time are named, never waited for beyond the timeout. */
export interface Coverage {
  incomplete: boolean
  missingNodes: string[]
}

export interface ListQuery { protocol?: string, user?: string, limit: number, cursor?: string }

/** How a protocol closes a connection an operator asked to close (`connection.close` by default). */
export type ClosePolicy = (connection: Connection) => void

/** The close code and reason of an operator's close where a protocol states no policy of its own. */
export const OPERATOR_CLOSE = { code: 1008, reason: 'closed by an operator' } as const

interface Pending {
  expected: Set<string>
  answers: Map<string, Answer>
  done: () => void
}

/**
 * The connections of every node, for the connections API: a question goes to every node over
 * the hub, each answers with what it holds, and the asking node waits for the nodes the
 * presence store knows are alive, at most `timeout` ms; the others are reported missing.
 */
export class ConnectionDirectory implements Subscriber {
  readonly #pending = new Map<string, Pending>()
  readonly #policies = new Map<string, ClosePolicy>()
  readonly #replies: Subscriber

  constructor (
    private readonly hub: Hub,
    private readonly registry: ConnectionRegistry,
    private readonly presence: PresenceStore,
    private readonly tracker: PresenceTracker,
    private readonly timeout: number,
    private readonly onInvalid: (data: unknown) => void,
  ) {
    this.#replies = { deliver: (message) => this.#answered(message) }
  }

  get node (): string {
    return this.presence.node
  }

  async start (): Promise<void> {
    await Promise.all([this.hub.subscribe(CONNECTIONS_TOPIC, this), this.hub.subscribe(replyTopic(this.node), this.#replies)])
  }

  async stop (): Promise<void> {
    await Promise.allSettled([this.hub.unsubscribe(CONNECTIONS_TOPIC, this), this.hub.unsubscribe(replyTopic(this.node), this.#replies)])
  }

  /** A protocol's own way to close a connection for an operator (a push first, say). */
  closeWith (protocol: string, policy: ClosePolicy): void {
    this.#policies.set(protocol, policy)
  }

  /** One page of every node's connections, ordered by id; `nextCursor` is null on the last page. */
  async list (query: ListQuery): Promise<Coverage & { connections: ConnectionView[], nextCursor: string | null }> {
    const { answers, coverage } = await this.#ask({ kind: 'list', limit: query.limit, ...defined({ protocol: query.protocol, user: query.user, after: query.cursor }) })
    const all = answers.flatMap((a) => a.connections ?? []).sort((x, y) => x.id < y.id ? -1 : x.id > y.id ? 1 : 0)
    const page = all.slice(0, query.limit)
    // A node that filled its page may hold more past it.
    const more = all.length > query.limit || answers.some((a) => (a.connections?.length ?? 0) >= query.limit)
    return { connections: page, nextCursor: more && page.length > 0 ? page[page.length - 1].id : null, ...coverage }
  }

  /** Closes the connection wherever it is; false when no node that answered holds it. */
  async close (id: string): Promise<Coverage & { closed: boolean }> {
    const { answers, coverage } = await this.#ask({ kind: 'close', id })
    return { closed: answers.some((a) => (a.closed ?? 0) > 0), ...coverage }
  }

  /** Closes every connection of the user on every node; how many. */
  async closeUser (username: string): Promise<Coverage & { closed: number }> {
    const { answers, coverage } = await this.#ask({ kind: 'close-user', username })
    return { closed: answers.reduce((sum, a) => sum + (a.closed ?? 0), 0), ...coverage }
  }

  /** A question from some node (this one included): answered with this node's part. */
  deliver (message: HubMessage): void {
    const ask = message.data
    if (!checkAsk.Check(ask)) return this.onInvalid(ask)
    const answer: Answer = { ask: ask.ask, node: this.node }
    if (ask.kind === 'list') answer.connections = this.#local(ask)
    else if (ask.kind === 'close') answer.closed = this.#closeLocal((c) => c.id === ask.id)
    else answer.closed = this.#closeLocal((c) => c.principal?.kind === 'user' && c.principal.username === ask.username)
    this.hub.publish(replyTopic(ask.from), answer).catch(() => {})
  }

  #local (ask: Extract<Ask, { kind: 'list' }>): ConnectionView[] {
    const out: ConnectionView[] = []
    for (const c of this.registry.live()) {
      if (ask.after !== undefined && c.id <= ask.after) continue
      if (ask.protocol !== undefined && c.protocol !== ask.protocol) continue
      const user = this.tracker.userOf(c)
      if (ask.user !== undefined && user !== ask.user) continue
      out.push({
        id: c.id, node: this.node, protocol: c.protocol, user, address: c.remoteAddress, connectedSince: c.connectedAt, subscriptions: [],
        framesIn: c.traffic.framesIn, framesOut: c.traffic.framesOut, bytesIn: c.traffic.bytesIn, bytesOut: c.traffic.bytesOut,
      })
    }
    out.sort((x, y) => x.id < y.id ? -1 : 1)
    const page = out.slice(0, ask.limit)
    if (page.length > 0) {
      const channels = this.presence.localChannels()
      for (const view of page) view.subscriptions = (channels.get(view.id) ?? []).map((key) => key.slice(key.indexOf(':') + 1)).sort()
    }
    return page
  }

  #closeLocal (which: (c: Connection) => boolean): number {
    const found: Connection[] = []
    for (const c of this.registry.live()) if (which(c)) found.push(c)
    for (const c of found) {
      const policy = this.#policies.get(c.protocol)
      if (policy) policy(c)
      else c.close(OPERATOR_CLOSE.code, OPERATOR_CLOSE.reason)
    }
    return found.length
  }

  #answered (message: HubMessage): void {
    const answer = message.data
    if (!checkAnswer.Check(answer)) return this.onInvalid(answer)
    const pending = this.#pending.get(answer.ask)
    if (!pending) return // late: its question timed out
    pending.answers.set(answer.node, answer)
    if ([...pending.expected].every((node) => pending.answers.has(node))) pending.done()
  }

  async #ask (body: AskBody): Promise<{ answers: Answer[], coverage: Coverage }> {
    const expected = new Set(await this.presence.nodes())
    expected.add(this.node)
    const ask = randomId(12)
    const pending: Pending = { expected, answers: new Map(), done: () => {} }
    const finished = new Promise<void>((resolve) => { pending.done = resolve })
    this.#pending.set(ask, pending)
    const timer = setTimeout(pending.done, this.timeout)
    try {
      await this.hub.publish(CONNECTIONS_TOPIC, { ...body, ask, from: this.node })
    } catch {
      clearTimeout(timer)
      this.#pending.delete(ask)
      throw new SwitchboardError('UNAVAILABLE', 'store unavailable')
    }
    await finished
    clearTimeout(timer)
    this.#pending.delete(ask)
    const missingNodes = [...expected].filter((node) => !pending.answers.has(node)).sort()
    return { answers: [...pending.answers.values()], coverage: { incomplete: missingNodes.length > 0, missingNodes } }
  }
}

/** The properties that are set (TypeBox's optional properties take no `undefined`). */
function defined<T extends Record<string, unknown>> (values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>
}
