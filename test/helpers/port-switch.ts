import { connect, createServer, type Server, type Socket } from 'node:net'

interface TestLike { teardown (fn: () => unknown): void }

/**
 * A TCP relay on its own port whose target the test moves: what a load balancer is to clients
 * that reconnect by themselves. New connections go to the current target; `cut` ends the
 * relayed ones, as a node that dies ends its connections.
 */
export class PortSwitch {
  readonly #relayed = new Set<Socket>()

  private constructor (private readonly server: Server, public target: number) {}

  static async start (t: TestLike, target: number): Promise<PortSwitch> {
    const server = createServer()
    const relay = new PortSwitch(server, target)
    server.on('connection', (client) => relay.#relay(client))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.teardown(() => relay.close())
    return relay
  }

  get port (): number {
    return (this.server.address() as { port: number }).port
  }

  get url (): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Resets every relayed connection, both sides. */
  cut (): void {
    for (const socket of this.#relayed) socket.resetAndDestroy()
    this.#relayed.clear()
  }

  close (): Promise<void> {
    this.cut()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  #relay (client: Socket): void {
    const upstream = connect(this.target, '127.0.0.1')
    for (const [socket, other] of [[client, upstream], [upstream, client]]) {
      this.#relayed.add(socket)
      socket.on('error', () => other.destroy())
      socket.on('close', () => {
        this.#relayed.delete(socket)
        other.destroy()
      })
    }
    client.pipe(upstream).pipe(client)
  }
}
