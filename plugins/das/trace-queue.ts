/** Order of two trace ids of one socket: same prefix, so the shorter number is the smaller. */
const compare = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)

/**
 * The traces one socket sent that its client has not acknowledged yet (§5.5), oldest first.
 * A socket's trace ids increase strictly (session.ts), so they are kept in two arrays in send
 * order rather than a Map: the acknowledgement of the oldest — the usual case, das-web-react
 * acknowledges in order — just moves the head; any other is found by binary search and marked.
 * (A Map keyed by the id hashed a fresh 40-character string per delivery and per ack: 5 % of a
 * saturated server's CPU in the fan-out bench.)
 */
export class TraceQueue {
  #ids: string[] = []
  #sentAt: number[] = []
  /** Index of the oldest entry not acknowledged (entries before it are done). */
  #head = 0
  /** Indexes past the head acknowledged out of order. */
  #acked = new Set<number>()
  #size = 0

  get size (): number {
    return this.#size
  }

  add (id: string, sentAt: number): void {
    this.#ids.push(id)
    this.#sentAt.push(sentAt)
    this.#size++
  }

  /** When the oldest unacknowledged trace was sent; undefined when none waits. */
  oldest (): number | undefined {
    return this.#size === 0 ? undefined : this.#sentAt[this.#head]
  }

  /** Marks `id` acknowledged; an id not waiting (unknown, acknowledged already) is ignored. */
  ack (id: string): void {
    if (this.#size === 0) return
    if (this.#ids[this.#head] !== id) {
      const i = this.#find(id)
      if (i < 0 || this.#acked.has(i)) return
      this.#acked.add(i)
      this.#size--
      return
    }
    this.#size--
    this.#head++
    while (this.#acked.size > 0 && this.#acked.delete(this.#head)) this.#head++
    if (this.#size === 0) {
      this.#ids.length = 0
      this.#sentAt.length = 0
      this.#head = 0
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#ids.length) {
      this.#compact()
    }
  }

  /** The index of `id` past the head, or -1. */
  #find (id: string): number {
    const ids = this.#ids
    let low = this.#head + 1
    let high = ids.length - 1
    while (low <= high) {
      const mid = (low + high) >>> 1
      const order = compare(ids[mid], id)
      if (order === 0) return mid
      if (order < 0) low = mid + 1
      else high = mid - 1
    }
    return -1
  }

  /** Drops the acknowledged entries before the head (amortised: at most as often as it halves the arrays). */
  #compact (): void {
    const head = this.#head
    this.#ids.splice(0, head)
    this.#sentAt.splice(0, head)
    this.#acked = new Set([...this.#acked].map((i) => i - head))
    this.#head = 0
  }
}
