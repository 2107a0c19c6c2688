import { readFileSync } from 'node:fs'
import t from 'tap'
import { request, startApp } from '../helpers/app.js'
import { CONSOLE_FILES } from '../../src/http/console/route.js'

t.test('GET /console: the page, its modules and the Socket.IO client, under the global CSP', async (t) => {
  const { url } = await startApp(t)
  const page = await request(url, 'GET', '/console')
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  t.equal(page.body, readFileSync(`${CONSOLE_FILES}/index.html`, 'utf8'), 'index.html as it is on disk')
  t.match(page.headers.get('content-security-policy'), /script-src 'self'(;|$)/, 'scripts from this server only')
  t.equal((await request(url, 'GET', '/console/')).status, 200, 'with a trailing slash too')

  for (const file of ['app.js', 'admin.js', 'admin-connections.js', 'admin-presence.js', 'admin-publish.js', 'channels.js', 'dom.js', 'log.js', 'rest.js', 'sockets.js', 'style.css']) {
    const reply = await request(url, 'GET', `/console/${file}`)
    t.equal(reply.status, 200, file)
    t.match(reply.headers.get('content-type'), file.endsWith('.js') ? /^(text|application)\/javascript/ : /^text\/css/, `${file} type`)
  }
  const client = await request(url, 'GET', '/console/vendor/socket.io.esm.min.js')
  t.equal(client.status, 200)
  t.match(client.headers.get('content-type'), /^text\/javascript/)
  t.match(client.body, /export\s*\{/, 'the ES-module build')

  t.equal((await request(url, 'GET', '/console/%2e%2e/package.json')).status, 404, 'nothing outside the console folder')
  t.equal((await request(url, 'GET', '/console/missing.js')).status, 404)
})

t.test('console.enabled: false removes the page and its files', async (t) => {
  const { url } = await startApp(t, { console: { enabled: false } })
  for (const path of ['/console', '/console/', '/console/app.js', '/console/vendor/socket.io.esm.min.js']) {
    t.equal((await request(url, 'GET', path)).status, 404, path)
  }
})
