/**
 * Short-lived shared state: tokens, sessions, last-of-type events. A ttl of 0 keeps a key until
 * it is deleted. Every operation is atomic across all nodes sharing the store.
 */
export interface EphemeralStore {
  set (key: string, value: string, ttlMs?: number): Promise<void>
  /** Sets only when the key is absent; true when this call set it. */
  setIfAbsent (key: string, value: string, ttlMs?: number): Promise<boolean>
  get (key: string): Promise<string | null>
  /** Get and delete in one step: of many concurrent takers, exactly one gets the value. */
  take (key: string): Promise<string | null>
  /** Restarts the ttl of an existing key (sliding expiry); false when the key is gone. */
  touch (key: string, ttlMs: number): Promise<boolean>
  /** Reads a key and restarts its ttl in one step (one round trip); null when the key is gone. */
  getAndTouch (key: string, ttlMs: number): Promise<string | null>
  delete (key: string): Promise<boolean>
  /** Appends to the list at `key` and restarts its ttl; returns the new length. */
  push (key: string, value: string, ttlMs?: number): Promise<number>
  /** Reads the whole list at `key` and deletes it, in one step. */
  drain (key: string): Promise<string[]>
  isReady (): boolean
  close (): Promise<void>
}
