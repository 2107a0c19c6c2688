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
