/**
 * A first-in first-out queue of at most `limit` items, on a ring buffer grown as needed (an
 * idle queue holds a few slots, not `limit`). A push into a full queue drops the oldest item:
 * after an outage the receiver hears the most recent events, which describe who is connected
 * now, and a new event never waits behind ones that are already stale.
 */
export class EventQueue<T> {
  #items: Array<T | undefined> = new Array<T | undefined>(16)
  #head = 0
  #size = 0

  constructor (readonly limit: number) {}

  get size (): number {
    return this.#size
  }

  /** Adds `item`; true when the oldest one was dropped to make room. */
  push (item: T): boolean {
    const full = this.#size === this.limit
    if (full) this.take(1)
    else if (this.#size === this.#items.length) this.#grow()
    this.#items[(this.#head + this.#size) % this.#items.length] = item
    this.#size++
    return full
  }

  /** Removes and returns the oldest `count` items (fewer when fewer are queued). */
  take (count: number): T[] {
    const out: T[] = []
    while (out.length < count && this.#size > 0) {
      out.push(this.#items[this.#head]!)
      this.#items[this.#head] = undefined
      this.#head = (this.#head + 1) % this.#items.length
      this.#size--
    }
    return out
  }

  /** Empties the queue; how many items it held. */
  clear (): number {
    const dropped = this.#size
    this.#items = new Array<T | undefined>(16)
    this.#head = 0
    this.#size = 0
    return dropped
  }

  #grow (): void {
    const grown = new Array<T | undefined>(Math.min(this.limit, this.#items.length * 2))
    for (let i = 0; i < this.#size; i++) grown[i] = this.#items[(this.#head + i) % this.#items.length]
    this.#items = grown
    this.#head = 0
  }
}
