import t from 'tap'
import { findReservedKey, jsonDepthExceeds, nameProblem, parseClientJson, valueDepthExceeds } from '../../../src/core/limits/index.js'

const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)

t.test('jsonDepthExceeds counts objects and arrays, not brackets inside strings', async (t) => {
  t.equal(jsonDepthExceeds(nested(64), 64), false)
  t.equal(jsonDepthExceeds(nested(65), 64), true)
  t.equal(jsonDepthExceeds('{"a":{"b":[1,{"c":2}]}}', 3), true)
  t.equal(jsonDepthExceeds('{"a":{"b":[1,{"c":2}]}}', 4), false)
  t.equal(jsonDepthExceeds(JSON.stringify({ s: '[[[[[[{{{{' }), 1), false)
  t.equal(jsonDepthExceeds(JSON.stringify({ s: 'a\\"[[[[' }), 1), false, 'an escaped quote does not end the string')
  t.equal(jsonDepthExceeds(nested(100_000), 64), true, '100,000 levels, no overflow')
  t.equal(jsonDepthExceeds('not json at all', 1), false, 'garbage is the parser\'s to refuse')
})

t.test('valueDepthExceeds walks without recursion', async (t) => {
  let deep: unknown = 1
  for (let i = 0; i < 100_000; i++) deep = [deep]
  t.equal(valueDepthExceeds(deep, 64), true)
  t.equal(valueDepthExceeds({ a: [{ b: 1 }] }, 3), false)
  t.equal(valueDepthExceeds({ a: [{ b: {} }] }, 3), true)
  t.equal(valueDepthExceeds('text', 1), false)
})

t.test('nameProblem: bytes, UTF-8 and control characters', async (t) => {
  t.equal(nameProblem('orders.created'), null)
  t.equal(nameProblem('é'.repeat(127)), null, '254 bytes')
  t.match(nameProblem('é'.repeat(128)), /255 bytes/, '256 bytes')
  t.match(nameProblem('x'.repeat(30_000)), /255 bytes/)
  t.match(nameProblem('a\u0000b'), /control/)
  t.match(nameProblem('a\u009fb'), /control/)
  t.match(nameProblem('a\ud800b'), /UTF-8/)
  t.equal(nameProblem('😀'), null, 'a surrogate pair is fine')
})

t.test('findReservedKey finds Object.prototype names at any depth', async (t) => {
  t.equal(findReservedKey({ a: 1, b: [{ c: 2 }] }), null)
  t.equal(findReservedKey({ toString: 1 }), 'toString')
  t.equal(findReservedKey(JSON.parse('{"a":[{"__proto__":{"x":1}}]}')), '__proto__')
  t.equal(findReservedKey({ a: { constructor: { prototype: 1 } } }), 'constructor')
  t.equal(findReservedKey({ prototype: 1 }), 'prototype')
  t.equal(findReservedKey(['hasOwnProperty']), null, 'values are not keys')
  t.equal(findReservedKey(null), null)
})

t.test('parseClientJson refuses depth before parsing', async (t) => {
  t.same(parseClientJson('{"a":1}', 2), { ok: true, value: { a: 1 } })
  t.match(parseClientJson(nested(100_000), 64), { ok: false, reason: 'too-deep' })
  t.match(parseClientJson('{', 64), { ok: false, reason: 'invalid-json' })
})
