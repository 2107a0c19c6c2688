#!/usr/bin/env node
// Process entry for `npm start`: the same as `switchboard serve`.
import { main } from './cli.js'

process.exitCode = await main(['serve', ...process.argv.slice(2)])
