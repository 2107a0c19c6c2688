import { spawn } from 'node:child_process'

/**
 * Runs the built server (`node dist/src/server.js`, as the image does) or CLI to its exit,
 * bounded, and hands back its exit code and everything it printed.
 */
export function runBuilt (script: 'server' | 'cli', args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<{ code: number | null, out: string, err: string }> {
  const child = spawn(process.execPath, [`dist/src/${script}.js`, ...args], {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} ${args.join(' ')} still running after ${timeoutMs} ms:\n${out}${err}`))
    }, timeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out, err })
    })
  })
}
