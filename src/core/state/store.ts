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
  /**
   * Restarts the ttl of an existing key of any kind (sliding expiry); a ttl of 0 removes its
   * expiry. False when the key is gone.
   */
  touch (key: string, ttlMs: number): Promise<boolean>
  /** Reads a key and restarts its ttl in one step (one round trip); null when the key is gone. */
  getAndTouch (key: string, ttlMs: number): Promise<string | null>
  delete (key: string): Promise<boolean>
  /** Appends to the list at `key` and restarts its ttl; returns the new length. */
  push (key: string, value: string, ttlMs?: number): Promise<number>
  /** Reads the whole list at `key` and deletes it, in one step. */
  drain (key: string): Promise<string[]>
  /**
   * Sets one field of the hash at `key` and restarts the hash's ttl: state kept field by field, so
   * a change writes that field, not the whole state (issue 14: Telegraphy subscriptions).
   */
  hashSet (key: string, field: string, value: string, ttlMs?: number): Promise<void>
  /** Deletes one field of the hash at `key`; true when it was there. A hash left empty is gone. */
  hashDelete (key: string, field: string): Promise<boolean>
  /** Every field of the hash at `key` (empty when there is none). */
  hashGetAll (key: string): Promise<Map<string, string>>
  isReady (): boolean
  close (): Promise<void>
}
