import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'

// The layering design.md asks for, checked on the source itself so that a change breaking it
// fails here rather than in a reviewer's reading: no import cycles, a core without transports,
// plugins that never import each other.
const root = resolve(import.meta.dirname, '..')

function sourceFiles (dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
}

// Every `from '…'` / `import '…'` / `import('…')` specifier of a file, type-only ones included:
// a type-only cycle still ties two files' meanings together.
function specifiers (file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
  return Array.from(text.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)'([^']+)'/g), (match) => match[1]!)
}

const files = [...sourceFiles('src'), ...sourceFiles('plugins')]
const known = new Set(files)
const imports = new Map<string, { local: string[], packages: string[] }>()
for (const file of files) {
  const local: string[] = []
  const packages: string[] = []
  for (const spec of specifiers(file)) {
    if (spec.startsWith('.')) {
      const target = relative(root, resolve(root, dirname(file), spec)).replace(/\.js$/, '.ts')
      if (known.has(target)) local.push(target)
    } else if (!spec.startsWith('node:')) {
      packages.push(spec)
    }
  }
  imports.set(file, { local, packages })
}

/** One cycle per strongly connected component of more than one file (Tarjan). */
function cycles (): string[][] {
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (file: string) => {
    index.set(file, next)
    low.set(file, next++)
    stack.push(file)
    onStack.add(file)
    for (const target of imports.get(file)!.local) {
      if (!index.has(target)) {
        visit(target)
        low.set(file, Math.min(low.get(file)!, low.get(target)!))
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!))
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== file)
      if (component.length > 1) found.push(component.sort())
    }
  }
  for (const file of files) if (!index.has(file)) visit(file)
  return found
}

t.test('the import graph was read', async (t) => {
  t.ok(files.length > 50, `${files.length} source files`)
  t.ok(imports.get('src/app.ts')?.local.length, 'relative imports are resolved')
})

t.test('no import cycles in src/ and plugins/', async (t) => {
  t.same(cycles(), [])
})

t.test('the core imports no transport', async (t) => {
  const transports = /^(ws|fastify|fastify-plugin|socket\.io|engine\.io|@fastify\/.*)$/
  const offending = files.filter((file) => file.startsWith('src/core/'))
    .flatMap((file) => imports.get(file)!.packages.filter((spec) => transports.test(spec)).map((spec) => `${file} → ${spec}`))
  t.same(offending, [])
  const upward = files.filter((file) => file.startsWith('src/core/'))
    .flatMap((file) => imports.get(file)!.local.filter((target) => !target.startsWith('src/core/') && !target.startsWith('src/config/')).map((target) => `${file} → ${target}`))
  t.same(upward, [], 'the core reaches only the core and the config')
})

t.test('plugins never import each other', async (t) => {
  const pluginOf = (file: string) => file.startsWith('plugins/') ? file.split('/')[1] : null
  const offending = files.filter((file) => pluginOf(file) !== null)
    .flatMap((file) => imports.get(file)!.local.filter((target) => pluginOf(target) !== null && pluginOf(target) !== pluginOf(file)).map((target) => `${file} → ${target}`))
  t.same(offending, [])
})

t.test('the cycle finder finds a cycle (so an empty answer means something)', async (t) => {
  const a = files[0]!
  const b = files[1]!
  const saved = [imports.get(a)!.local, imports.get(b)!.local]
  imports.get(a)!.local = [b]
  imports.get(b)!.local = [a]
  try {
    t.same(cycles(), [[a, b].sort()])
  } finally {
    imports.get(a)!.local = saved[0]!
    imports.get(b)!.local = saved[1]!
  }
})
