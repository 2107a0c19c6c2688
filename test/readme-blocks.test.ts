import { readFileSync } from 'node:fs'
import t from 'tap'
import { buildOnce } from './cluster/harness.js'
import { runScript } from './helpers/run-script.js'
import { startBuilt } from './helpers/spawn-server.js'

const PROTOCOLS = ['syscache', 'webrocket', 'telegraphy', 'really', 'das']

/** The ```sh blocks of README.md's "Try each protocol" section, in order. */
function tryBlocks (readme: string): string[] {
  const start = readme.indexOf('\n### Try each protocol\n')
  if (start < 0) return []
  const next = readme.slice(start + 1).search(/\n#{2,3} /)
  const section = next < 0 ? readme.slice(start) : readme.slice(start, start + 1 + next)
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1])
}

// Issue 19: a newcomer gets a reply from every protocol by pasting these blocks, with the
// server on its default config. They are run here as pasted (bash, from the repository root),
// only the address changed to this test's server.
t.test('README "Try each protocol": one block per protocol, each runs to its done line', async (t) => {
  const blocks = tryBlocks(readFileSync('README.md', 'utf8'))
  t.same(blocks.map((b) => PROTOCOLS.find((p) => b.includes(`node examples/${p}.mjs`))), PROTOCOLS, 'one block per protocol, in order')
  for (const block of blocks) t.ok(block.split('\n').length <= 12, 'short')

  buildOnce()
  const server = await startBuilt(t, [], { DATA_DIR: t.testdir({}) })
  const outputs: string[] = []
  for (const [i, block] of blocks.entries()) {
    const script = block.replaceAll('http://localhost:8080', server.url)
    const run = await runScript('bash', ['-e', '-o', 'pipefail', '-c', script], { SWITCHBOARD_URL: server.url })
    t.equal(run.code, 0, `${PROTOCOLS[i]} block exits 0${run.err ? `: ${run.err}` : ''}`)
    t.match(run.out, /^done: /m, `${PROTOCOLS[i]} block reaches its done line`)
    outputs.push(run.out)
  }
  t.match(outputs[2], /^\{"auth_token":"[^"]+","expires_in":5\}$/m, 'the Telegraphy curl prints the auth token')
  t.match(outputs[3], /^\{"authType":"anonymous","accessToken":"[^"]+"\}$/m, 'the Really curl prints the anonymous token')
  t.match(outputs[4], /^\{"access_token":"[^"]+","token_type":"Bearer"/m, 'the DAS curl prints the OAuth token')
})

t.test('tryBlocks finds only the sh blocks of its section', async (t) => {
  t.same(tryBlocks('# x\n```sh\nno\n```\n### Try each protocol\ntext\n```sh\na\n```\n```js\nb\n```\n```sh\nc\nd\n```\n## Next\n```sh\nno\n```\n'), ['a\n', 'c\nd\n'])
  t.same(tryBlocks('# nothing here\n'), [])
})
