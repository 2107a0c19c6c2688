import t from 'tap'
import { request, startApp } from '../helpers/app.js'

const client = { client_id: 'das_web_client' }

t.test('password grant (form and JSON), refresh grant, RFC shapes', async (t) => {
  const { url } = await startApp(t)
  const form = await request(url, 'POST', '/oauth2/token', { form: { grant_type: 'password', username: 'alice', password: 'alice-pass', ...client } })
  t.equal(form.status, 200)
  t.match(form.body, { access_token: String, token_type: 'Bearer', expires_in: 3600, refresh_token: String })
  t.equal(form.headers.get('cache-control'), 'no-store')
  const json = await request(url, 'POST', '/oauth2/token', { body: { grant_type: 'password', username: 'alice', password: 'alice-pass', scope: 'read', ...client } })
  t.equal(json.body.scope, 'read')
  const me = await request(url, 'GET', '/api/auth/me', { token: json.body.access_token })
  t.equal(me.body.username, 'alice')

  const refreshed = await request(url, 'POST', '/oauth2/token', { form: { grant_type: 'refresh_token', refresh_token: form.body.refresh_token, ...client } })
  t.equal(refreshed.status, 200)
  const reused = await request(url, 'POST', '/oauth2/token', { form: { grant_type: 'refresh_token', refresh_token: form.body.refresh_token, ...client } })
  t.equal(reused.status, 400)
  t.equal(reused.body.error, 'invalid_grant')
})

t.test('errors follow RFC 6749 §5.2', async (t) => {
  const { url } = await startApp(t)
  const cases: Array<[Record<string, string>, number, string]> = [
    [{ username: 'alice', password: 'alice-pass', ...client }, 400, 'invalid_request'],
    [{ grant_type: 'password', username: 'alice', password: 'alice-pass' }, 401, 'invalid_client'],
    [{ grant_type: 'password', username: 'alice', password: 'alice-pass', client_id: 'evil' }, 401, 'invalid_client'],
    [{ grant_type: 'password', username: 'alice', ...client }, 400, 'invalid_request'],
    [{ grant_type: 'password', username: 'alice', password: 'bad', ...client }, 400, 'invalid_grant'],
    [{ grant_type: 'refresh_token', ...client }, 400, 'invalid_request'],
    [{ grant_type: 'refresh_token', refresh_token: 'unknown', ...client }, 400, 'invalid_grant'],
    [{ grant_type: 'client_credentials', ...client }, 400, 'unsupported_grant_type'],
  ]
  for (const [form, status, error] of cases) {
    const reply = await request(url, 'POST', '/oauth2/token', { form })
    t.equal(reply.status, status, JSON.stringify(form))
    t.equal(reply.body.error, error)
    t.type(reply.body.error_description, 'string')
  }
  const notAnObject = await request(url, 'POST', '/oauth2/token', { body: '[1,2]' })
  t.equal(notAnObject.status, 400)
  t.equal(notAnObject.body.error, 'invalid_request')
  const broken = await request(url, 'POST', '/oauth2/token', { body: '{"grant_type":' })
  t.equal(broken.body.error, 'invalid_request')
})

t.test('revocation (RFC 7009)', async (t) => {
  const { url } = await startApp(t)
  const pair = (await request(url, 'POST', '/oauth2/token', { form: { grant_type: 'password', username: 'alice', password: 'alice-pass', ...client } })).body
  t.equal((await request(url, 'POST', '/oauth2/revoke_token/', { form: { token: pair.access_token, ...client } })).status, 200)
  t.equal((await request(url, 'GET', '/api/auth/me', { token: pair.access_token })).status, 401)
  t.equal((await request(url, 'POST', '/oauth2/revoke_token/', { form: { token: pair.refresh_token, ...client } })).status, 200)
  const refreshed = await request(url, 'POST', '/oauth2/token', { form: { grant_type: 'refresh_token', refresh_token: pair.refresh_token, ...client } })
  t.equal(refreshed.body.error, 'invalid_grant')
  t.equal((await request(url, 'POST', '/oauth2/revoke_token/', { form: { token: 'never-issued', ...client } })).status, 200)
  t.equal((await request(url, 'POST', '/oauth2/revoke_token/', { form: { ...client } })).body.error, 'invalid_request')
  t.equal((await request(url, 'POST', '/oauth2/revoke_token/', { form: { token: 'x', client_id: 'evil' } })).body.error, 'invalid_client')
})

t.test('a user removed after login cannot refresh', async (t) => {
  const { url, app } = await startApp(t)
  const pair = (await request(url, 'POST', '/oauth2/token', { form: { grant_type: 'password', username: 'alice', password: 'alice-pass', ...client } })).body
  await app.services.identity.remove('alice')
  const refreshed = await request(url, 'POST', '/oauth2/token', { form: { grant_type: 'refresh_token', refresh_token: pair.refresh_token, ...client } })
  t.equal(refreshed.body.error, 'invalid_grant')
})
