import t from 'tap'
import { hostileFrames, nestedText, seeded } from './frames.js'

t.test('hostile frames are deterministic and cover the categories', async (t) => {
  const templates = [{ type: 'subscribe', channel: 'news', data: { a: 1 } }]
  const a = [...hostileFrames(templates, 500, 7)]
  const b = [...hostileFrames(templates, 500, 7)]
  t.same(a.map(String), b.map(String), 'same seed, same frames')
  const texts = a.filter((f): f is string => typeof f === 'string')
  t.ok(a.some((f) => Buffer.isBuffer(f)), 'binary frames')
  t.ok(texts.some((f) => f.includes('['.repeat(1000))), 'deep nesting')
  t.ok(texts.some((f) => f.includes('"__proto__"')), 'reserved keys')
  t.ok(texts.some((f) => f.includes('1e309')), 'huge numbers')
  t.ok(texts.some((f) => f.length > 10_000), 'long strings')
  t.equal(nestedText(3), '[[[1]]]')
  t.not(seeded(1)(), seeded(2)())
})
