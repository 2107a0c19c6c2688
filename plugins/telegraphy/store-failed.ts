/** A failed write to the shared store, reported through its dependency health (one line per outage, issue 18). */
export type StoreFailed = (err: Error, msg: string) => void
