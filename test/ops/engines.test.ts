import { readFileSync } from 'node:fs'
import t from 'tap'

// Engines honest (issue 18): every package the lock file installs, dev ones included, accepts
// the lowest version of each Node line package.json claims, so `npm ci` there prints no
// EBADENGINE. The ranges in the lock use a few forms of npm's syntax; an unknown one fails.
type Version = [number, number, number]
const partial = (text: string): Array<number | undefined> => text.replace(/^v/, '').split('.').map((p) => /^\d+$/.test(p) ? Number(p) : undefined)
const full = (p: Array<number | undefined>): Version => [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0]
const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

function satisfies (version: Version, comparator: string): boolean {
  const [, op, rest] = /^(>=|<=|>|<|\^|~|=)?\s*(.*)$/.exec(comparator)!
  if (rest === '*' || rest === 'x' || rest === '') return true
  const wanted = partial(rest)
  if (!/^v?\d+(\.(\d+|x|\*))*$/.test(rest)) throw new Error(`range form not understood: ${comparator}`)
  const c = compare(version, full(wanted))
  switch (op) {
    case '>=': return c >= 0
    case '>': return c > 0
    case '<': return c < 0
    case '<=': return c <= 0
    case '^': return version[0] === wanted[0] && c >= 0
    case '~': return version[0] === wanted[0] && (wanted[1] === undefined || version[1] === wanted[1]) && c >= 0
    default: return wanted.every((part, i) => part === undefined || part === version[i])
  }
}

const inRange = (version: Version, range: string) => range.split('||').some((alternative) =>
  alternative.trim().replace(/(>=|<=|>|<)\s+/g, '$1').split(/\s+/).every((comparator) => satisfies(version, comparator)))

t.test('the engines range starts at versions every locked package accepts', async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { engines?: { node?: string }, dev?: boolean }> }
  const floors = pkg.engines.node.split('||').map((alternative) => full(partial(alternative.trim().replace(/^(\^|>=)/, ''))))
  t.same(floors, [[20, 19, 0], [22, 13, 0], [24, 0, 0]])
  t.ok(inRange([20, 20, 2], pkg.engines.node), 'the Node this machine and CI run')
  for (const floor of floors) {
    const refusing = Object.entries(lock.packages)
      .filter(([path, meta]) => path !== '' && typeof meta.engines?.node === 'string' && !inRange(floor, meta.engines.node))
      .map(([path, meta]) => `${path} (${meta.engines!.node})`)
    t.same(refusing, [], `Node ${floor.join('.')}`)
  }
  t.notOk(inRange([20, 12, 0], '^20.19.0 || ^22.13.0 || >=24'), 'the checker refuses what is below a range')
  t.notOk(inRange([20, 0, 0], '>=22'))
  t.ok(inRange([20, 20, 0], '20.x || 22.x'))
  t.ok(inRange([20, 20, 0], '6.* || 8.* || >= 10.*'))
  t.ok(inRange([20, 20, 0], '~20.20.0'))
  t.notOk(inRange([20, 20, 0], '<20 || <=19.9.9'))
  t.throws(() => inRange([20, 0, 0], 'lts'), /not understood/)
})
