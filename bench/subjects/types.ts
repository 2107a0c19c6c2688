/** A subject's server, started inside its own child process (bench/server.ts). */
export interface RunningServer {
  port: number
  /** Open client connections, so the orchestrator can check every client really arrived. */
  connections (): number
  close (): Promise<void>
}
