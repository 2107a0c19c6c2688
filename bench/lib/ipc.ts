// Request/reply over the fork() IPC channel, so the orchestrator can drive its children
// (servers and load generators) step by step, every step bounded in time.
import { fork, type ChildProcess } from 'node:child_process'

export interface Request { id: number, cmd: string, args?: unknown }
export interface Reply { id: number, ok: boolean, result?: unknown, error?: string }
export type Handler = (args: never) => unknown

const children = new Set<ChildProcess>()

/** Kills every child still running (exit, failure, Ctrl-C): the bench leaves no process behind. */
export function killChildren (): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  children.clear()
}

/** A forked child that answers `request(cmd, args)` with one reply each. */
export class Child {
  #next = 1
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }>()
  readonly #exited: Promise<number | null>
  #ready: { resolve: (v: unknown) => void, reject: (e: Error) => void } | null = null
  readonly readyInfo: Promise<unknown>

  private constructor (readonly name: string, readonly process: ChildProcess) {
    children.add(process)
    this.readyInfo = new Promise((resolve, reject) => { this.#ready = { resolve, reject } })
    this.readyInfo.catch(() => {})
    process.on('message', (message: Reply | { ready: unknown }) => {
      if ('ready' in message) {
        this.#ready?.resolve(message.ready)
        return
      }
      const waiter = this.#waiting.get(message.id)
      if (!waiter) return
      this.#waiting.delete(message.id)
      clearTimeout(waiter.timer)
      if (message.ok) waiter.resolve(message.result)
      else waiter.reject(new Error(`${name}: ${message.error}`))
    })
    this.#exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        children.delete(process)
        const err = new Error(`${name} exited (${signal ?? code})`)
        this.#ready?.reject(err)
        for (const waiter of this.#waiting.values()) {
          clearTimeout(waiter.timer)
          waiter.reject(err)
        }
        this.#waiting.clear()
        resolve(code)
      })
    })
  }

  /** Forks `script`; resolves once the child said it is ready (or rejects after `timeoutMs`). */
  static async start (name: string, script: string, args: string[], options: { execArgv?: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<{ child: Child, info: unknown }> {
    const process = fork(script, args, {
      execArgv: options.execArgv ?? [],
      env: options.env ?? globalThis.process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const child = new Child(name, process)
    const timeoutMs = options.timeoutMs ?? 30_000
    let timer: NodeJS.Timeout | undefined
    try {
      const info = await Promise.race([
        child.readyInfo,
        new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${name} not ready after ${timeoutMs} ms`)), timeoutMs) }),
      ])
      return { child, info }
    } catch (err) {
      child.kill()
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  request<T = unknown> (cmd: string, args?: unknown, timeoutMs = 60_000): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id)
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`))
      }, timeoutMs)
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      this.process.send({ id, cmd, args } satisfies Request, (err) => {
        if (!err) return
        clearTimeout(timer)
        this.#waiting.delete(id)
        reject(err)
      })
    })
  }

  /** Asks the child to stop; kills it if it has not exited after `graceMs`. */
  async stop (graceMs = 5_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return
    this.request('stop', undefined, graceMs).catch(() => {})
    const timer = setTimeout(() => this.kill(), graceMs)
    await this.#exited
    clearTimeout(timer)
  }

  get alive (): boolean {
    return this.process.exitCode === null && this.process.signalCode === null
  }

  kill (): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL')
  }
}

/**
 * Child side: answers requests with `handlers[cmd](args)`, says it is ready with `info`, and
 * exits when the orchestrator goes away (a child never outlives the bench).
 */
export function serveRequests (handlers: Record<string, Handler>): { ready (info: unknown): void } {
  const send = (message: unknown) => { if (process.connected) process.send?.(message) }
  process.on('disconnect', () => process.exit(0))
  // The orchestrator may already be gone (killed while this child was starting).
  if (!process.connected) process.exit(0)
  process.on('message', (request: Request) => {
    const handler = handlers[request.cmd]
    if (!handler) {
      send({ id: request.id, ok: false, error: `unknown command ${request.cmd}` } satisfies Reply)
      return
    }
    Promise.resolve().then(() => handler(request.args as never)).then(
      (result) => send({ id: request.id, ok: true, result } satisfies Reply),
      (err: unknown) => send({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies Reply),
    )
  })
  return { ready: (info) => send({ ready: info }) }
}
