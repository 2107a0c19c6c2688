import { loadUws } from '../subjects/uws-server.js'
import { WIRES, type SubjectName } from './wire.js'

/** Why `subject` cannot run on this machine (uWebSockets.js without a binary that loads), or null. */
export function unavailable (subject: SubjectName): string | null {
  if (WIRES[subject].server !== 'uws') return null
  const loaded = loadUws()
  return 'error' in loaded ? loaded.error : null
}
