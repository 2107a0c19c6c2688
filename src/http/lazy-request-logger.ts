import type { FastifyBaseLogger } from 'fastify'

type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type ParentLogger = FastifyBaseLogger & { isLevelEnabled (level: string): boolean }

/**
 * A request's logger, made into a real pino child only when something is logged at an enabled
 * level. Fastify gives every request a child (its bindings serialised, its methods rebuilt:
 * ~2 KiB allocated), and most requests of a gateway, the WebSocket upgrades, never log a line
 * at the usual levels (issue 8: a visible share of a connection's cost).
 */
class LazyRequestLogger {
  #child: FastifyBaseLogger | undefined

  constructor (private readonly parent: ParentLogger, private readonly bindings: Bindings) {}

  #real (): FastifyBaseLogger {
    return this.#child ??= this.parent.child(this.bindings)
  }

  #log (level: Level, args: unknown[]): void {
    if (this.#child === undefined && !this.parent.isLevelEnabled(level)) return
    const log = this.#real()[level] as (...args: unknown[]) => void
    log.apply(this.#child, args)
  }

  get level (): string {
    return this.#child?.level ?? this.parent.level
  }

  set level (level: string) {
    this.#real().level = level
  }

  fatal (...args: unknown[]): void { this.#log('fatal', args) }
  error (...args: unknown[]): void { this.#log('error', args) }
  warn (...args: unknown[]): void { this.#log('warn', args) }
  info (...args: unknown[]): void { this.#log('info', args) }
  debug (...args: unknown[]): void { this.#log('debug', args) }
  trace (...args: unknown[]): void { this.#log('trace', args) }
  silent (): void {}

  child (bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options)
  }
}

/**
 * Fastify's `childLoggerFactory`: lazy unless the route asks for its own level or serializers,
 * which only a real child carries.
 */
export function requestLogger (this: unknown, logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  if (options.level !== undefined || options.serializers !== undefined || !('isLevelEnabled' in logger)) return logger.child(bindings, options)
  return new LazyRequestLogger(logger as ParentLogger, bindings) as unknown as FastifyBaseLogger
}
