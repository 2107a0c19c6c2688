import type { Connection, Frame } from '../../src/core/connection.js'
import type { Subscriber } from '../../src/core/hub/hub.js'
import type { HubMessage } from '../../src/core/hub/message.js'
import { isAllowed, ownerOf } from './access.js'
import { checkFields, view } from './commands.js'
import { topicOf, type ReallyContext } from './context.js'
import { Errors, ReallyError, type CommandError } from './errors.js'
import { createdFrame, objectFrame, objectPush, type ObjectEvent } from './pushes.js'
import { tooManySubscriptions } from './limits.js'
import { hasConcreteParents, parseR, type R } from './resource-path.js'

/** Where a subscription's frames go (the session). */
export interface PushSink {
  push (frame: Frame): void
}

/**
 * One (connection, R) subscription (spec §4.5, upstream `ObjectSubscriber`). An object
 * subscription remembers the last revision it pushed; while it catches up from the change log,
 * live messages are held back and afterwards only those past that revision go out, so nothing
 * is lost or sent twice between the log and the hub.
 */
class Subscription implements Subscriber {
  lastRev = 0
  #held: HubMessage[] | null = []
  #ended = false

  constructor (
    readonly r: R,
    readonly fields: string[],
    /** The object's creator as the subscribe was decided with (it never changes), for re-checks. */
    readonly owner: string | null,
    private readonly sink: PushSink,
    private readonly onDeleted: (s: Subscription) => void,
  ) {}

  deliver (message: HubMessage): void {
    if (this.#ended) return
    if (this.#held) this.#held.push(message)
    else this.#send(message)
  }

  /** A frame of this subscription (catch-up, live); none once it ended. */
  push (frame: Frame): void {
    if (!this.#ended) this.sink.push(frame)
  }

  /**
   * Stopped (unsubscribed, replaced, deleted, closed, forbidden): nothing of it goes out from
   * now on, even what was held or is still being replayed while the topic is being left.
   */
  end (): void {
    this.#ended = true
    this.#held = null
  }

  /** Ends the catch-up: held messages past `lastRev` go out in order. */
  release (): void {
    const held = this.#held ?? []
    this.#held = null
    for (const message of held) this.#send(message)
  }

  #send (message: HubMessage): void {
    if (!this.r.isObject) {
      this.push(createdFrame(message, this.fields))
      return
    }
    const event = message.data as ObjectEvent
    if (event.rev <= this.lastRev) return
    this.lastRev = event.rev
    const frame = objectFrame(message, this.fields)
    if (frame !== null) this.push(frame)
    if (event.evt === 'deleted') this.onDeleted(this)
  }
}

export interface SubscriptionRequest { r: string, rev: number, fields?: string[] }

/** A connection's subscriptions, keyed by normalised R. */
export class Subscriptions {
  readonly #byR = new Map<string, Subscription>()
  #closed = false
  /** Counts role changes of the connection's user, so a subscribe decided before one is asked again. */
  #rolesEpoch = 0

  constructor (private readonly ctx: ReallyContext, private readonly connection: Connection, private readonly sink: PushSink) {}

  /**
   * Subscribes to every R (spec §4.10 items 10, 15): structural problems fail the whole request
   * with 409 (thrown); a subscription that cannot start (unknown model, missing or deleted
   * object, or denied: 403 `forbidden`) gets a `failed` push instead. Returns the accepted Rs and
   * a `finish` to call after the reply went out: it sends the failures and the catch-up pushes.
   *
   * Each R is asked once (`subscribe`, with the object's owner) before its topic is joined; every
   * push of the topic is about that R (or, for a collection, an object created in it), so
   * deliveries are never asked again (README "Authorization").
   */
  async subscribe (requests: readonly SubscriptionRequest[]): Promise<{ accepted: string[], finish: () => Promise<void> }> {
    const parsed = requests.map((request, i) => {
      const r = parseR(request.r)
      if (!r || !hasConcreteParents(r)) throw new ReallyError(Errors.validationFailed({ [`obj.body.subscriptions[${i}].r`]: [{ msg: 'error.invalid.r', args: [] }] }))
      return { r, request }
    })
    const { subscriptionsPerConnection } = this.ctx.services.config.limits
    const fresh = new Set(parsed.filter(({ r }) => !this.#byR.has(r.text)).map(({ r }) => r.text))
    if (this.#byR.size + fresh.size > subscriptionsPerConnection) throw tooManySubscriptions(subscriptionsPerConnection)
    const accepted: Subscription[] = []
    const failures: Array<{ r: string, error: CommandError }> = []
    const catchUps: Array<[Subscription, () => Promise<void>]> = []
    for (const { r, request } of parsed) {
      try {
        const model = this.ctx.models.get(r.model)
        if (!model) throw new ReallyError(Errors.modelUnknown(), r.text)
        const fields = checkFields(model, request.fields, 'obj.fields')
        const epoch = this.#rolesEpoch
        const owner = r.isObject ? await ownerOf(this.ctx, r) : null
        if (!await isAllowed(this.ctx, this.connection, 'subscribe', r.text, owner)) {
          // A subscription of the same R from before is no longer allowed either: it ends too.
          const previous = this.#byR.get(r.text)
          if (previous) await this.#stop(previous)
          throw new ReallyError(Errors.forbidden(), r.text)
        }
        const subscription = await this.#start(r, fields, owner)
        if (this.#rolesEpoch !== epoch && !await this.#allowed(subscription)) {
          // The user's roles changed while it started; a re-check may have ended it and said so already.
          if (this.#byR.get(r.text) !== subscription) continue
          await this.#stop(subscription)
          throw new ReallyError(Errors.forbidden(), r.text)
        }
        if (r.isObject) {
          const object = await this.ctx.store.find(r)
          if (!object || object.deleted) {
            await this.#stop(subscription)
            throw new ReallyError(object ? Errors.objectGone() : Errors.objectMissing(), r.text)
          }
          catchUps.push([subscription, () => this.#catchUp(subscription, request.rev, object.id, object)])
        } else {
          catchUps.push([subscription, async () => subscription.release()])
        }
        accepted.push(subscription)
      } catch (err) {
        if (!(err instanceof ReallyError)) throw err
        failures.push({ r: r.text, error: err.error })
      }
    }
    const finish = async () => {
      for (const { r, error } of failures) this.sink.push(JSON.stringify({ r, evt: 'failed', error }))
      for (const [subscription, catchUp] of catchUps) {
        try {
          await catchUp()
        } catch {
          // The change log could not be read: this subscription fails, the others go on.
          this.sink.push(JSON.stringify({ r: subscription.r.text, evt: 'failed', error: Errors.internal() }))
          await this.#stop(subscription)
        }
      }
    }
    return { accepted: accepted.map((s) => s.r.text), finish }
  }

  /** Drops the subscriptions of these Rs; returns the normalised Rs (spec §4.10 item 11). */
  async unsubscribe (rs: readonly string[]): Promise<string[]> {
    const parsed = rs.map((text, i) => parseR(text) ?? (() => {
      throw new ReallyError(Errors.validationFailed({ [`obj.body.subscriptions[${i}]`]: [{ msg: 'error.invalid.r', args: [] }] }))
    })())
    for (const r of parsed) {
      const subscription = this.#byR.get(r.text)
      if (subscription) await this.#stop(subscription)
    }
    return parsed.map((r) => r.text)
  }

  /**
   * The user's roles changed (on any node): every subscription is asked again, and one no longer
   * allowed ends with a `failed` push of 403 `forbidden` (nothing of it is delivered after). A
   * protocol open to everyone (`restricted` false) needs no asking: roles change nothing there.
   */
  async rolesChanged (): Promise<void> {
    this.#rolesEpoch++
    if (!this.ctx.services.access.restricted('really')) return
    await Promise.all([...this.#byR.values()].map(async (subscription) => {
      if (await this.#allowed(subscription) || this.#byR.get(subscription.r.text) !== subscription) return
      const leaving = this.#stop(subscription) // ended at once: nothing more of it goes out
      this.sink.push(JSON.stringify({ r: subscription.r.text, evt: 'failed', error: Errors.forbidden() }))
      await leaving
    }))
  }

  /** The connection closed: every subscription ends (the core leaves the topics, logging failures). */
  close (): void {
    this.#closed = true
    this.#byR.clear()
    this.ctx.services.subscriptions.leaveAll(this.connection)
  }

  #allowed (subscription: Subscription): boolean | Promise<boolean> {
    return isAllowed(this.ctx, this.connection, 'subscribe', subscription.r.text, subscription.owner)
  }

  async #start (r: R, fields: string[], owner: string | null): Promise<Subscription> {
    const previous = this.#byR.get(r.text)
    // Replaced, not ended: presence and the connection observers see one subscription of the R.
    if (previous) await this.#stop(previous, false)
    const subscription = new Subscription(r, fields, owner, this.sink, (s) => { this.#stop(s).catch(() => {}) })
    const replacing = this.#byR.has(r.text)
    this.#byR.set(r.text, subscription)
    const live = this.ctx.services.subscriptions.join(this.connection, topicOf(r.text), subscription)
    // Presence names a Really subscription by its normalised R (an object or a collection path).
    if (!replacing && previous === undefined) this.ctx.services.connections.subscribed(this.connection, r.text)
    await live
    // The connection closed while the broker was subscribing.
    if (this.#closed) await this.#stop(subscription)
    return subscription
  }

  /** `announce`: the subscription ends for good (not replaced): the connection observers hear it. */
  async #stop (subscription: Subscription, announce = true): Promise<void> {
    subscription.end()
    if (this.#byR.get(subscription.r.text) === subscription) {
      this.#byR.delete(subscription.r.text)
      if (announce && !this.#closed) this.ctx.services.connections.unsubscribed(this.connection, subscription.r.text)
    }
    await this.ctx.services.subscriptions.leave(this.connection, topicOf(subscription.r.text), subscription)
  }

  /**
   * Replays what a subscriber missed since `rev` from the change log, or pushes a `snapshot`
   * when the log no longer reaches back that far (spec §4.5).
   */
  async #catchUp (subscription: Subscription, rev: number, id: number, object: { r: string, rev: number, body: Record<string, unknown> }): Promise<void> {
    // A client claiming a revision from the future gets the live changes from now on.
    subscription.lastRev = Math.min(rev, object.rev)
    try {
      if (rev < object.rev) {
        const changes = await this.ctx.store.changesSince(id, rev)
        const replayable = changes.length > 0 && changes[0].rev === rev + 1 && changes.every((c, i) => c.rev === rev + 1 + i)
        if (replayable) {
          for (const { rev: changeRev, change } of changes) {
            const push = objectPush({ r: object.r, rev: changeRev, ...change }, subscription.fields)
            if (push) subscription.push(JSON.stringify(push))
            subscription.lastRev = changeRev
            if (change.evt === 'deleted') await this.#stop(subscription)
          }
        } else {
          subscription.push(JSON.stringify({ r: object.r, rev: object.rev, evt: 'snapshot', body: view(object, subscription.fields) }))
          subscription.lastRev = object.rev
        }
      }
    } finally {
      subscription.release()
    }
  }
}
