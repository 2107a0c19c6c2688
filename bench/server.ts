// Child process running ONE subject's server (`node dist/bench/server.js '<json options>'`),
// answering the orchestrator's requests for its memory and CPU figures over IPC.
import { serveRequests } from './lib/ipc.js'
import { collectGarbage, processStats } from './lib/stats.js'
import type { ServerKind } from './lib/wire.js'
import { startSocketioServer } from './subjects/socketio-server.js'
import { startSwitchboard, type SwitchboardOptions } from './subjects/switchboard.js'
import type { RunningServer } from './subjects/types.js'
import { startUwsServer } from './subjects/uws-server.js'
import { startWsFastifyServer } from './subjects/ws-fastify-server.js'
import { startWsServer } from './subjects/ws-server.js'

export interface ServerOptions extends SwitchboardOptions { kind: ServerKind }

const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions

function start (): Promise<RunningServer> {
  switch (options.kind) {
    case 'switchboard': return startSwitchboard(options)
    case 'ws': return startWsServer()
    case 'ws-prebuilt': return startWsServer({ prebuilt: true })
    case 'ws-fastify': return startWsFastifyServer()
    // The same slow-receiver bound as the Switchboard subjects' send buffer limit.
    case 'uws': return startUwsServer(options.sendBufferLimit)
    case 'socketio': return startSocketioServer()
  }
}

const server = await start()
let stopping = false
const ipc = serveRequests({
  stats: () => ({ ...processStats(), connections: server.connections() }),
  /** Figures after a full collection (the process runs with --expose-gc). */
  settledStats: () => {
    collectGarbage()
    return { ...processStats(), connections: server.connections() }
  },
  stop: async () => {
    if (stopping) return
    stopping = true
    const timer = setTimeout(() => process.exit(0), 3000)
    timer.unref()
    await server.close().catch(() => {})
    setImmediate(() => process.exit(0))
  },
})
ipc.ready({ port: server.port, pid: process.pid })
