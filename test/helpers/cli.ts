import { Readable } from 'node:stream'
import { main } from '../../src/cli.js'

// Captures what a command prints.
export async function run (args: string[], env: NodeJS.ProcessEnv = {}, stdin = '') {
  const out: string[] = []
  const err: string[] = []
  const log = console.log
  const error = console.error
  const write = process.stdout.write
  console.log = (...a: unknown[]) => { out.push(a.join(' ')) }
  console.error = (...a: unknown[]) => { err.push(a.join(' ')) }
  process.stdout.write = ((chunk: string) => { out.push(chunk); return true }) as typeof process.stdout.write
  try {
    const code = await main(args, env, Readable.from([stdin]))
    return { code, out: out.join('\n'), err: err.join('\n') }
  } finally {
    console.log = log
    console.error = error
    process.stdout.write = write
  }
}
