// Durations and sizes in the config file may be plain numbers (milliseconds, bytes) or strings
// with a unit, so operators can write `5m` or `64kb` instead of counting zeros.

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const sizeUnits: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

export const durationPattern = '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)?\\s*$'
export const sizePattern = '^\\s*\\d+(\\.\\d+)?\\s*(b|kb|mb|gb)?\\s*$'

function parseWithUnits (value: number | string, units: Record<string, number>, fallbackUnit: string): number {
  if (typeof value === 'number') return value
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
  const unit = match?.[2]?.toLowerCase() || fallbackUnit
  if (!match || units[unit] === undefined) throw new Error(`cannot read "${value}"`)
  return Math.round(Number(match[1]) * units[unit])
}

/** Milliseconds from `300`, `300ms`, `5s`, `10m`, `1h`, `1d`. */
export function parseDuration (value: number | string): number {
  return parseWithUnits(value, durationUnits, 'ms')
}

/** Bytes from `65536`, `64kb`, `1mb`. */
export function parseSize (value: number | string): number {
  return parseWithUnits(value, sizeUnits, 'b')
}
