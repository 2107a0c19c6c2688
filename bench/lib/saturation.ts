// When a fan-out level counts as saturated, which offered rate comes next, and what a subject
// delivers past saturation (issue 21): the ladder climbs until a level saturates, then runs the
// level at twice that rate, so every subject gets the same question — does it hold its rate or
// collapse when offered twice what it can take?
import type { Level } from '../scenarios/fanout.js'

/** Below this share of the offered deliveries a level is saturated. */
export const KEPT_UP = 0.85
/** Above this share of publishes skipped by the publisher (the server stopped reading) too. */
export const SHED = 0.05

export function isSaturated (level: Level): boolean {
  return level.delivered < KEPT_UP * level.offered || level.skipped > SHED * (level.published + level.skipped)
}

/**
 * The next offered rate after `levels`: the ladder's next rate above the last level until one
 * saturates, then twice the first saturating rate (whether or not the ladder has it), then none.
 */
export function nextRate (ladder: number[], levels: Level[]): number | null {
  const last = levels[levels.length - 1]
  const first = levels.find(isSaturated)
  if (!first) return ladder.find((rate) => !last || rate > last.rate) ?? null
  const twice = 2 * first.rate
  return last.rate < twice ? twice : null
}

export interface PastSaturation {
  /** The first offered rate the subject did not keep up with (publishes/s). */
  saturatingRate: number
  /** Twice that (publishes/s), and what was delivered there (frames/s). */
  rate: number
  delivered: number
  /** The best delivered rate of any level. */
  peak: number
  /** delivered / peak. */
  ratio: number
  /** The servers' RSS at the end of that level's window (bytes, summed over the servers), and how much it grew during the window. */
  rss: number
  rssGrowth: number
}

/** The past-saturation figure of a ladder, or null when no level saturated or twice its rate was not run. */
export function pastSaturation (levels: Level[]): PastSaturation | null {
  const first = levels.find(isSaturated)
  if (!first) return null
  const at = levels.find((l) => l.rate === 2 * first.rate)
  if (!at) return null
  const peak = Math.max(...levels.map((l) => l.delivered))
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)
  return {
    saturatingRate: first.rate,
    rate: at.rate,
    delivered: at.delivered,
    peak,
    ratio: peak > 0 ? at.delivered / peak : NaN,
    rss: sum(at.rss.end),
    rssGrowth: sum(at.rss.end) - sum(at.rss.start),
  }
}
