import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'
import { parseDuration } from '../../src/config/units.js'
import { ServerSection } from '../../src/config/schema.js'

const dockerfile = readFileSync('Dockerfile', 'utf8')
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))
const instruction = (name: string) => runtime.split('\n').filter((l) => l.startsWith(`${name} `)).map((l) => JSON.parse(l.slice(name.length + 1)) as string[])

t.test('the image runs node itself under an init, so `docker stop` reaches the server', async (t) => {
  t.same(instruction('ENTRYPOINT'), [['/usr/bin/tini', '-s', '--']])
  t.same(instruction('CMD'), [['node', 'dist/src/server.js']])
  t.notMatch(runtime.split('\n').filter((l) => !l.startsWith('#')).join('\n'), /npm start/)
})

t.test('compose: an init, node directly, and a stop grace above server.shutdownGrace', async (t) => {
  const compose = parse(readFileSync('compose.yaml', 'utf8'), { merge: true }) as { services: Record<string, { init?: boolean, command?: string[], stop_grace_period?: string, build?: string }> }
  const nodes = Object.entries(compose.services).filter(([, s]) => s.build === '.')
  t.ok(nodes.length >= 2, 'the Switchboard nodes')
  const grace = parseDuration(ServerSection.properties.shutdownGrace.default as string)
  for (const [name, service] of nodes) {
    t.equal(service.init, true, `${name}: init`)
    t.equal(service.command?.[0], 'node', `${name}: node, not npm`)
    t.ok(parseDuration(service.stop_grace_period!) > grace, `${name}: stop_grace_period above shutdownGrace`)
  }
})

t.test('the runtime stage holds only what runs, pruned as the README says', async (t) => {
  const readme = readFileSync('README.md', 'utf8')
  const section = readme.slice(readme.indexOf('\n### Image'))
  const steps = /```sh\n([\s\S]*?)```/.exec(section)![1].split('\n').filter((line) => line.startsWith('rm ') || line.startsWith('find '))
  t.ok(steps.length >= 2, 'the README lists its pruning steps')
  const buildStage = dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '))
  for (const step of steps) t.ok(buildStage.includes(step), `the Dockerfile does: ${step}`)
  t.match(buildStage, /npm prune --omit=dev/)
  const copied = runtime.split('\n').filter((l) => l.startsWith('COPY ')).map((l) => l.split(/\s+/).at(-2))
  t.same(copied, ['/app/package.json', '/app/node_modules', '/app/dist/src', '/app/dist/plugins', '/app/web', '/usr/bin/tini-static'], 'no bench, no scripts, no sources (web/: the console\'s static files)')
  t.match(section, /node_modules` comes to \d+ MB/, 'the README states the size')
})
