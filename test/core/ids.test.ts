import t from 'tap'
import { randomAlphanumeric, randomId, sequentialIds } from '../../src/core/ids.js'

t.test('randomAlphanumeric: the length asked for, only [A-Za-z0-9], every character reachable', async (t) => {
  for (const length of [0, 1, 20, 300]) t.match(randomAlphanumeric(length), new RegExp(`^[A-Za-z0-9]{${length}}$`))
  const seen = new Set(randomAlphanumeric(20_000))
  // 62 characters over 20,000 draws: missing one by chance is below 1e-130.
  t.equal(seen.size, 62)
  t.not(randomAlphanumeric(20), randomAlphanumeric(20))
})

t.test('randomId: base64url of the bytes asked for, never the same bytes twice', async (t) => {
  t.match(randomId(12), /^[A-Za-z0-9_-]{16}$/)
  t.equal(randomId(6000).length, 8000, 'more than the pool holds')
  // 2,000 draws of 16 bytes go through the 4 KiB pool several times.
  const ids = new Set(Array.from({ length: 2000 }, () => randomId(16)))
  t.equal(ids.size, 2000)
})

t.test('sequentialIds: unique within a generator and across generators', async (t) => {
  const a = sequentialIds()
  const b = sequentialIds()
  const ids = new Set<string>()
  for (let i = 0; i < 1000; i++) {
    ids.add(a())
    ids.add(b())
  }
  t.equal(ids.size, 2000)
  const fixed = sequentialIds('n-')
  t.same([fixed(), fixed(), fixed()], ['n-0', 'n-1', 'n-2'])
})
