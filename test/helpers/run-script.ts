import { spawn } from 'node:child_process'

export interface ScriptResult { code: number | null, out: string, err: string }

/**
 * Runs a command to its exit, bounded (killed and rejected after `timeoutMs`), with the test's
 * environment plus `env`, and hands back its exit code and output. For the examples and the
 * README's shell blocks, which are run as a newcomer would run them.
 */
export function runScript (command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<ScriptResult> {
  return runToExit(command, args, { ...process.env, ...env }, timeoutMs)
}

/** `command` with exactly the environment `env`, to its exit (bounded), with what it printed. */
export function runToExit (command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ScriptResult> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} still running after ${timeoutMs} ms:\n${out}${err}`))
    }, timeoutMs)
    child.once('error', (error) => { clearTimeout(timer); reject(error) })
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, out, err }) })
  })
}
