import t from 'tap'
import { request, startApp } from '../helpers/app.js'

t.test('JSON bodies: depth refused before parsing, prototype keys refused', async (t) => {
  const { url } = await startApp(t, { limits: { maxDepth: 8 } })
  const deep = `{"username":${'['.repeat(100_000)}${']'.repeat(100_000)},"password":"x"}`
  const tooDeep = await request(url, 'POST', '/api/auth/login', { body: deep })
  t.equal(tooDeep.status, 400)
  t.match(tooDeep.body.message, /deeper than 8/)
  const proto = await request(url, 'POST', '/api/auth/login', { body: '{"username":"a","password":"b","__proto__":{"admin":true}}' })
  t.equal(proto.status, 400)
  const ctor = await request(url, 'POST', '/api/auth/login', { body: '{"username":"a","password":"b","constructor":{"prototype":{"admin":true}}}' })
  t.equal(ctor.status, 400)
  const fine = await request(url, 'POST', '/api/auth/login', { body: { username: 'admin', password: 'admin-pass' } })
  t.equal(fine.status, 200, 'ordinary bodies still parse')
})
