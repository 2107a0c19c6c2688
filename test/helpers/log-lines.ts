import { Writable } from 'node:stream'
import { DEFAULT_WAIT } from './ws-client.js'

export type LogLine = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A pino destination that keeps every JSON line written to it, so a test can wait for the line
 * it expects (bounded) instead of sleeping.
 */
export class LogLines {
  readonly lines: LogLine[] = []
  #waiters: Array<() => void> = []
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const text of chunk.toString().split('\n')) if (text !== '') this.lines.push(JSON.parse(text) as LogLine)
      for (const wake of this.#waiters.splice(0)) wake()
      done()
    },
  })

  /** Lines matching `predicate`, so far. */
  matching (predicate: (line: LogLine) => boolean): LogLine[] {
    return this.lines.filter(predicate)
  }

  /** The first line matching `predicate`, once it is written; rejects after `timeout` ms. */
  async find (predicate: (line: LogLine) => boolean, timeout = DEFAULT_WAIT): Promise<LogLine> {
    const deadline = Date.now() + timeout
    for (;;) {
      const found = this.lines.find(predicate)
      if (found !== undefined) return found
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no log line matched within ${timeout} ms; lines: ${JSON.stringify(this.lines.map((l) => l.msg))}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }
}
