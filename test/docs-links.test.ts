import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'

// Issue 19: a clone must be able to follow every link of its documentation. No README or doc
// may point outside the repository (the protocol reference and the design notes once lived in
// a sibling folder a clone does not have), and every relative link must reach a file.

const root = resolve(new URL('..', import.meta.url).pathname)

function markdownUnder (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? markdownUnder(path) : entry.name.endsWith('.md') ? [path] : []
  })
}

const plugins = readdirSync(join(root, 'plugins')).map((name) => join(root, 'plugins', name, 'README.md'))
const files = [join(root, 'README.md'), ...plugins, ...markdownUnder(join(root, 'docs')), join(root, 'bench/README.md'), join(root, 'examples/README.md')]
  .filter((path) => existsSync(path))

// Text that names a place outside the repository: the old sibling folder, or this machine.
const OUTSIDE = [/\.\.\/shared\b/, /\bshared\/(spec|design)/, /\/work\//]

/** Every problem of one markdown text, as "what (line N)". */
function linkProblems (file: string, text: string, exists: (path: string) => boolean = existsSync): string[] {
  const problems: string[] = []
  const lines = text.split('\n')
  let fenced = false
  lines.forEach((line, i) => {
    const where = `${relative(root, file)}:${i + 1}`
    if (OUTSIDE.some((pattern) => pattern.test(line))) problems.push(`${where} points outside the repository: ${line.trim()}`)
    if (/^\s*```/.test(line)) fenced = !fenced
    if (fenced) return
    for (const [, target] of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue
      const path = resolve(dirname(file), decodeURIComponent(target.replace(/[#?].*$/, '')))
      if (relative(root, path).startsWith('..')) problems.push(`${where} links outside the repository: ${target}`)
      else if (!exists(path)) problems.push(`${where} links to a missing file: ${target}`)
    }
  })
  return problems
}

t.test('every README and doc links only to files of the repository that exist', async (t) => {
  t.ok(files.length >= 13, `the READMEs and docs are found (${files.length})`)
  for (const name of ['syscache', 'webrocket', 'telegraphy', 'really', 'das', 'README']) {
    t.ok(files.includes(join(root, 'docs/protocols', `${name}.md`)), `docs/protocols/${name}.md is checked`)
  }
  const problems = files.flatMap((file) => linkProblems(file, readFileSync(file, 'utf8')))
  t.same(problems, [], 'no link leaves the repository or misses its file')
})

t.test('the checker finds what it must', async (t) => {
  const file = join(root, 'plugins/x/README.md')
  const has = (path: string) => path === join(root, 'plugins/x/here.md') || path === join(root, 'README.md')
  t.same(linkProblems(file, [
    'See [the spec](../../../shared/spec/protocols.md) and `../shared/design.md`.',
    '[ok](here.md#anchor) [ok too](../../README.md) [web](https://example.com/x) [top](#top)',
    '[gone](missing.md) [out](../../../etc/passwd)',
    '```',
    '[inside a fence](not-checked.md)',
    '```',
  ].join('\n'), has), [
    'plugins/x/README.md:1 points outside the repository: See [the spec](../../../shared/spec/protocols.md) and `../shared/design.md`.',
    'plugins/x/README.md:1 links outside the repository: ../../../shared/spec/protocols.md',
    'plugins/x/README.md:3 links to a missing file: missing.md',
    'plugins/x/README.md:3 links outside the repository: ../../../etc/passwd',
  ])
})

// The code and the plugin READMEs cite the protocol pages by section (`§4.10`, `§3.9.4` = item 4
// of §3.9): every section cited must be a heading of its page, so a citation always leads
// somewhere. §1–§5 are the five protocols; other numbers (RFC 6455 §7.4.1, design notes) are not.
const PAGES = ['syscache', 'webrocket', 'telegraphy', 'really', 'das']

function sourcesUnder (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? sourcesUnder(path) : /\.(ts|md)$/.test(entry.name) ? [path] : []
  })
}

t.test('every protocol section the code cites is a heading of docs/protocols', async (t) => {
  const headings = new Set(PAGES.flatMap((page) => [...readFileSync(join(root, 'docs/protocols', `${page}.md`), 'utf8')
    .matchAll(/^#{2,3} (\d+\.\d+) /gm)].map((m) => m[1])))
  t.ok(headings.size >= 50, `headings found (${headings.size})`)
  const sources = [...sourcesUnder(join(root, 'plugins')), ...sourcesUnder(join(root, 'test/plugins')), ...sourcesUnder(join(root, 'src')), join(root, 'README.md')]
  const missing = new Set<string>()
  let checked = 0
  for (const file of sources) {
    for (const [cite, section] of readFileSync(file, 'utf8').matchAll(/(?<!RFC \d+ |design\.md )§ ?((\d+)\.\d+)/g)) {
      const major = Number(cite.replace(/^§ ?/, '').split('.')[0])
      if (major < 1 || major > 5) continue
      checked++
      if (!headings.has(section)) missing.add(`${relative(root, file)}: ${cite}`)
    }
  }
  t.ok(checked > 200, `citations checked (${checked})`)
  t.same([...missing], [], 'no citation of a section the pages lack')
})
