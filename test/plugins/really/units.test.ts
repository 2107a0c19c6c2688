import t from 'tap'
import { Models } from '../../../plugins/really/models.js'
import { parseFilter, matches } from '../../../plugins/really/query.js'
import { collectionOf, parentOf, parseR } from '../../../plugins/really/resource-path.js'

t.test('R parsing and normalisation (§4.3)', async (t) => {
  t.match(parseR('/users/123'), { text: '/users/123/', isObject: true, model: '/users/*/' })
  t.match(parseR('/users'), { text: '/users/*/', isObject: false })
  t.match(parseR('/users/*'), { text: '/users/*/', isObject: false })
  t.match(parseR('/users/007/posts/'), { text: '/users/7/posts/*/', isObject: false, model: '/users/*/posts/*/' })
  t.match(parseR('/$a-b_c/1/'), { text: '/$a-b_c/1/' })
  for (const bad of ['', '/', 'users/1', '/1users/', '/users/abc', '/users/-1', '/users/9223372036854775808', '/users//posts', 42, null, '/' + 'a/'.repeat(600)]) {
    t.equal(parseR(bad), null, String(bad).slice(0, 40))
  }
  t.ok(parseR('/users/9223372036854775807'), 'Long max')
  t.equal(collectionOf(parseR('/users/5/posts/9')!), '/users/5/posts/*/')
  t.equal(parentOf(parseR('/users/5/posts/')!), '/users/5/')
  t.equal(parentOf(parseR('/users/')!), null)
})

t.test('models: bad ones fail at registration', async (t) => {
  t.throws(() => new Models({ '/users/1/': { fields: {} } }), /not a collection R/)
  t.throws(() => new Models({ '/users/': { fields: { _id: { type: 'long' } } } }), /may not start with _/)
  t.throws(() => new Models({ '/users/': { fields: { n: { type: 'long', default: 'x' } } } }), /default of n is not a long/)
  t.ok(new Models({ '/users/*/posts/': { fields: {} } }).get('/users/*/posts/*/'))
})

t.test('filters (§4.5)', async (t) => {
  const model = { path: '/users/*/', fields: { name: { type: 'string' as const }, age: { type: 'long' as const }, ok: { type: 'boolean' as const } } }
  const f = (filter: string, values: Record<string, unknown> = {}) => parseFilter(filter, values, model)
  t.same(f('name = $n and age > 3', { n: 'x' }), [{ field: 'name', op: '=', value: 'x' }, { field: 'age', op: '>', value: 3 }])
  t.same(f('  '), [])
  t.same(f('ok = true and age >= -1.5e1'), [{ field: 'ok', op: '=', value: true }, { field: 'age', op: '>=', value: -15 }])
  for (const bad of ['name', 'name =', '= 1', 'name = 1 and', 'name = 1 name = 2', 'name = #', 'name = $', 'name = 1 or age = 2', 'age = age']) {
    t.throws(() => f(bad), { message: 'validation.failed' }, bad)
  }
  t.ok(matches({ age: 4 }, f('age > 3 and age <= 4 and age != 5 and age < 5 and age >= 4 and age = 4')))
  t.notOk(matches({}, f('age < 3')), 'missing field')
  t.ok(matches({}, f('age != 3')), 'missing field is != anything')
  t.notOk(matches({ age: '4' }, f('age > 3')), 'type mismatch')
  t.notOk(matches({ ok: true }, f('ok > false')), 'booleans are not ordered')
  t.ok(matches({ name: 'b' }, f("name > 'a'")), 'strings are ordered')
})
