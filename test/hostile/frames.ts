/**
 * Hostile frames for the fuzz suite (issue 14): valid frame skeletons of a protocol, mutated with
 * the inputs that have crashed or exhausted servers — nesting up to 100,000 levels, huge numbers,
 * long strings, reserved keys, binary, invalid UTF-8, unknown types. Deterministic for a seed, so
 * a failure names the frame that caused it and reruns the same way.
 */

/** How many frames each protocol's fuzz test sends: small in CI, the full count via `npm run test:hostile`. */
export const HOSTILE_FRAME_COUNT = Number(process.env.HOSTILE_FRAMES ?? 2000)

/** A small, fast, seeded PRNG (mulberry32). */
export function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const RESERVED = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']
const DEPTHS = [65, 200, 1_000, 5_000, 20_000, 100_000]

/** JSON text of an array nested `levels` deep (built as text: a value that deep cannot be stringified). */
export function nestedText (levels: number, open = '[', close = ']', inner = '1'): string {
  return open.repeat(levels) + inner + close.repeat(levels)
}

const LEAF_TEXTS = (random: () => number): string[] => [
  '1e309', '-1e309', '123456789012345678901234567890', '1.7976931348623157e308', '-0', '0.1e-400',
  JSON.stringify('x'.repeat(1 + Math.floor(random() * 70_000))),
  JSON.stringify('\u0000\u0001\u007f\u009f'),
  '"\\ud800"', '"\\udfff\\ud800"', JSON.stringify('😀'.repeat(200)),
  'true', 'null', '[]', '{}', '""', '"a/b/../../c"', JSON.stringify('*'.repeat(300)),
]

function pick<T> (random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]
}

/** JSON text of `template` with one field (or the whole frame) replaced by something hostile. */
function mutate (template: Record<string, Json>, random: () => number): string {
  const keys = Object.keys(template)
  const key = pick(random, keys)
  const before = JSON.stringify({ ...template, [key]: '\u0001HOLE\u0001' })
  const hole = JSON.stringify('\u0001HOLE\u0001')
  const roll = random()
  let replacement: string
  if (roll < 0.3) {
    const depth = pick(random, DEPTHS)
    replacement = random() < 0.5 ? nestedText(depth) : nestedText(depth, '{"a":', '}')
  } else if (roll < 0.55) {
    replacement = pick(random, LEAF_TEXTS(random))
  } else if (roll < 0.75) {
    const reserved = pick(random, RESERVED)
    replacement = `{${JSON.stringify(reserved)}:{"polluted":true},"ok":1}`
  } else if (roll < 0.85) {
    replacement = `[${Array.from({ length: 1 + Math.floor(random() * 5000) }, (_, i) => i).join(',')}]`
  } else {
    // The field's own value with a reserved key beside it at the top level.
    return before.replace(hole, JSON.stringify(template[key])).replace(/^\{/, `{${JSON.stringify(pick(random, RESERVED))}:1,`)
  }
  return before.replace(hole, replacement)
}

/** Whole frames that are not the protocol's at all. */
function garbage (random: () => number): string | Buffer {
  const roll = random()
  if (roll < 0.2) return Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]) // invalid UTF-8
  if (roll < 0.35) return Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256)))
  if (roll < 0.5) return nestedText(pick(random, DEPTHS))
  if (roll < 0.6) return '{"type":"' + 'x'.repeat(10_000) + '"}'
  if (roll < 0.7) return pick(random, ['', ' ', 'null', '0', '"text"', '[]', '{}', '{', '}{', '[1,2', 'NaN', 'Infinity'])
  if (roll < 0.8) return JSON.stringify({ type: 'no-such-type', message: 'UNKNOWN', event: 42, id: -1 })
  if (roll < 0.9) return `{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}`
  return JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ [`k${i}`]: i })))
}

/**
 * `count` hostile frames built from the protocol's valid `templates` (mostly mutations of them,
 * some garbage), deterministic for `seed`.
 */
export function* hostileFrames (templates: Array<Record<string, Json>>, count: number, seed = 1): Generator<string | Buffer> {
  const random = seeded(seed)
  for (let i = 0; i < count; i++) {
    yield random() < 0.75 ? mutate(pick(random, templates), random) : garbage(random)
  }
}
