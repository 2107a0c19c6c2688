import type { Test } from 'tap'
import { WsConnection } from '../../src/http/websocket/ws-connection.js'

/** Counts, for the rest of the test, how often any connection pauses and resumes reading. */
export function countReadingPauses (t: Test): { paused: number, resumed: number } {
  const counts = { paused: 0, resumed: 0 }
  const pause = WsConnection.prototype.pauseReading
  const resume = WsConnection.prototype.resumeReading
  WsConnection.prototype.pauseReading = function () { counts.paused++; pause.call(this) }
  WsConnection.prototype.resumeReading = function () { counts.resumed++; resume.call(this) }
  t.teardown(() => {
    WsConnection.prototype.pauseReading = pause
    WsConnection.prototype.resumeReading = resume
  })
  return counts
}
