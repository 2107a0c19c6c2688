import { spawn } from 'node:child_process'
import { ENV_KEYS } from '../../src/config/load.js'
import { runToExit, type ScriptResult } from './run-script.js'

/**
 * The test process's environment (coverage of the child included) without the variables that
 * configure Switchboard, so only what a test sets reaches the child.
 */
function childEnv (set: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const variable of Object.keys(ENV_KEYS)) delete env[variable]
  return { ...env, NODE_ENV: 'test', HOST: '127.0.0.1', ...set }
}

/**
 * Runs the built server (`node dist/src/server.js`, as the image does) or CLI to its exit,
 * bounded, and hands back its exit code and everything it printed.
 */
export function runBuilt (script: 'server' | 'cli', args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ScriptResult> {
  return runToExit(process.execPath, [`dist/src/${script}.js`, ...args], childEnv(env), timeoutMs)
}

export interface LogLine { level: number, msg: string, [key: string]: unknown }

/**
 * Starts the built server and keeps its pino lines, so a test can wait for one (bounded) and
 * count them. Killed when the test ends.
 */
export async function startBuilt (t: { teardown (fn: () => unknown): void }, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000) {
  const child = spawn(process.execPath, ['dist/src/server.js', ...args], {
    env: childEnv({ PORT: '0', LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const lines: LogLine[] = []
  const waiters = new Set<() => void>()
  let rest = ''
  const onData = (chunk: Buffer) => {
    rest += chunk.toString()
    const complete = rest.split('\n')
    rest = complete.pop()!
    for (const text of complete) {
      try {
        lines.push(JSON.parse(text) as LogLine)
      } catch {
        lines.push({ level: 50, msg: text })
      }
    }
    for (const waiter of waiters) waiter()
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  /** The first line (from `from` on) that `match` accepts; rejects after `timeout`. */
  const waitFor = (match: (line: LogLine) => boolean, timeout = timeoutMs, from = 0): Promise<LogLine> => new Promise((resolve, reject) => {
    const check = () => {
      const found = lines.slice(from).find(match)
      if (!found) return
      waiters.delete(check)
      clearTimeout(timer)
      resolve(found)
    }
    const timer = setTimeout(() => {
      waiters.delete(check)
      reject(new Error(`no such log line within ${timeout} ms:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`))
    }, timeout)
    waiters.add(check)
    check()
  })
  const listening = await waitFor((l) => /listening at http/.test(l.msg))
  return { child, lines, waitFor, url: /http:\/\/[\d.:]+/.exec(listening.msg)![0] }
}
