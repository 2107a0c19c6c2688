import t from 'tap'
import { compileGlob, globProblem } from '../../../src/core/access/glob.js'

t.test('* stays within a segment, ** crosses segments', async (t) => {
  const path = (pattern: string) => compileGlob(pattern, '/')
  t.ok(path('/notes/*')('/notes/12'))
  t.ok(path('/notes/*')('/notes/*'), 'a collection R is a name like any other')
  t.ok(path('/notes/*')('/notes/'), '* may match nothing')
  t.notOk(path('/notes/*')('/notes/12/comments/3'), '* does not cross /')
  t.notOk(path('/notes/*')('/notes'))
  t.ok(path('/notes/**')('/notes/12/comments/3'))
  t.ok(path('/notes/**')('/notes/'))
  t.notOk(path('/notes/**')('/notesx/1'))
  t.ok(path('/users/*/notes/*')('/users/7/notes/9'))
  t.notOk(path('/users/*/notes/*')('/users/7/8/notes/9'))
  t.ok(path('**/notes/*')('/a/b/notes/9'))
  t.ok(path('/echo/room-*')('/echo/room-12'))
  t.notOk(path('/echo/room-*')('/echo/lobby'))
  t.ok(path('**')('anything/at/all'))
  t.ok(path('*')(''), 'the empty name is one empty segment')
  t.ok(path('a*b*c')('a-b-c'))
  t.ok(path('a*b*c')('abbbc'))
  t.notOk(path('a*b*c')('a/b/c'))
  t.ok(path('a**b**c')('a/b/c'))
  t.ok(path('a**c')('abc/xc'), 'backtracking over a ** is found without backtracking')

  const dotted = (pattern: string) => compileGlob(pattern, '.')
  t.ok(dotted('ops.*')('ops.alert'))
  t.notOk(dotted('ops.*')('ops.alert.high'))
  t.ok(dotted('ops.**')('ops.alert.high'))
  t.ok(dotted('ops.*')('ops.a/b'), '/ is an ordinary character where . separates')
  t.notOk(dotted('ops.*')('opsXalert'), '. is literal')
})

t.test('characters that mean something to RegExp are literal', async (t) => {
  const m = compileGlob('a+b(c)[d]?e$^|\\.*', '/')
  t.ok(m('a+b(c)[d]?e$^|\\.x'))
  t.notOk(m('aab(c)[d]?e$^|\\.x'))
  t.ok(compileGlob('?', '/')('?'))
  t.notOk(compileGlob('?', '/')('x'), '? is not a wildcard')
  t.ok(compileGlob('exact', '/')('exact'))
  t.notOk(compileGlob('exact', '/')('exactly'))
  t.ok(compileGlob('naïve/é*', '/')('naïve/été'))
  t.ok(compileGlob('*🚀', '/')('go🚀'), 'astral characters as two code units on both sides')
})

t.test('a 10,000-character resource against patterns that make a backtracking RegExp explode', async (t) => {
  const long = 'a'.repeat(10_000)
  const patterns: Array<[string, string, boolean]> = [
    ['**a**a**a**a**a**b', long, false],
    ['*a*a*a*a*a*a*a*b', long, false],
    ['**a**a**a**a**a**a', long, true],
    ['a**a**a**a**a*', long, true],
    ['*/*/*/*/**x', `${'a/'.repeat(5000)}`, false],
  ]
  const started = performance.now()
  for (const [pattern, resource, expected] of patterns) {
    t.equal(compileGlob(pattern, '/')(resource), expected, pattern)
  }
  // Linear in the resource for a fixed pattern: milliseconds. (The RegExp of the first pattern,
  // /^.*a.*a.*a.*a.*a.*b$/, needs on the order of 10,000^5 steps to fail.)
  t.ok(performance.now() - started < 2000, `took ${Math.round(performance.now() - started)} ms`)
})

t.test('a matcher can be used again and again (its scratch state resets)', async (t) => {
  const m = compileGlob('x*y*z', '/')
  const answers = ['xyz', 'x/yz', 'xaybz', 'xyzq', 'xyyz'].map(m)
  t.same(answers, [true, false, true, false, true])
  t.same(['xyz', 'x/yz', 'xaybz', 'xyzq', 'xyyz'].map(m), answers)
})

t.test('malformed patterns are named', async (t) => {
  t.equal(globProblem('/a/**'), null)
  t.match(globProblem('/a/***'), /three or more \*/)
  t.match(globProblem(''), /empty/)
  t.match(globProblem('x'.repeat(1025)), /longer than 1024/)
})
