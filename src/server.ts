#!/usr/bin/env node
// Process entry for `npm start`: the same as `switchboard serve`.
import { main } from './cli.js'

const code = await main(['serve', ...process.argv.slice(2)])
// A server that failed to start must not linger on whatever handles its loaders left open.
if (code !== 0) process.exit(code)
