/** A counter's value and how long until its window ends (0 when the key is absent). */
export interface Count {
  count: number
  resetInMs: number
}

/**
 * Fixed-window counters shared by every node: the throttle's only state. A counter starts at 1
 * with the window given to the increment that created it and disappears when the window ends;
 * later increments do not extend it (a steady trickle of failures cannot keep a key alive past
 * its first window, and a block lasts exactly its duration).
 */
export interface CounterStore {
  /** Adds one; creates the key with a `windowMs` ttl when absent. Atomic across nodes. */
  increment (key: string, windowMs: number): Promise<Count>
  read (key: string): Promise<Count>
  delete (key: string): Promise<void>
  isReady (): boolean
  close (): Promise<void>
}
