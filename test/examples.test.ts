import t from 'tap'
import { buildOnce } from './cluster/harness.js'
import { runScript } from './helpers/run-script.js'
import { startBuilt } from './helpers/spawn-server.js'

// examples/*.mjs (issue 19) run as a newcomer runs them, against the built server on its
// default config (only the port and the data directory differ): each must do its protocol's
// whole session and exit 0, printing the frames below.
const EXPECTED: Record<string, RegExp[]> = {
  syscache: [
    /^> \{"namespace":"rpc","name":"auth","id":"login","args":\{"username":"admin","password":"change-me"\}\}$/m,
    /^< \{"namespace":"rpc","name":"response","id":"login","args":\["[A-Za-z0-9]{20}",300\]\}$/m,
    /^< \{"namespace":"events","name":"response","id":"subscribe","args":\{"subscribe":"dispatcher"\}\}$/m,
    /^< \{"namespace":"events","name":"event","id":"","args":\{"name":"dispatcher","args":\{"state":"finished","process_id":"example-\d+"\}\}\}$/m,
    /^done: received the published dispatcher event$/m,
  ],
  webrocket: [
    /^< \{"authenticated":"joe"\}$/m,
    /^< \{"subscribed":"hello"\}$/m,
    /^< \{"event":"greeting","channel":"hello","data":\{"text":"hello from examples\/webrocket.mjs"\}\}$/m,
    /^< \{"broadcasted":"hello"\}$/m,
    /^done: received the broadcast$/m,
  ],
  telegraphy: [
    /^REST POST \/api\/telegraphy\/auth-tokens -> 201$/m,
    /^< \{"success":true,"status":"CONNECTED","id":0,"data":\{"session_token":"[^"]+"\}\}$/m,
    /^< \{"success":true,"status":"SUBSCRIBED","id":1,"data":\{"event_name":"example.greeting"\}\}$/m,
    /^< \{"event":"example.greeting","name":"example.greeting","meta":\{[^\n]*\},"data":\{"text":"hello from examples\/telegraphy.mjs"\}\}$/m,
    /^done: received the event$/m,
  ],
  really: [
    /^REST POST \/auth\/anonymous\/ -> 200$/m,
    /^< \{"tag":1,"evt":"initialized","body":\{[^\n]*"authType":"anonymous"/m,
    /^< \{"tag":2,"body":\{"subscriptions":\["\/messages\/\*\/"\]\}\}$/m,
    /^< \{"r":"\/messages\/\*\/","evt":"created","body":\{"text":"hello from examples\/really.mjs","_r":"\/messages\/\d+\/","_rev":1\}/m,
    /^< \{"tag":3,"r":"\/messages\/\d+\/","body":\{"text":"hello from examples\/really.mjs"/m,
    /^done: created an object and received its push$/m,
  ],
  das: [
    /^REST POST \/oauth2\/token -> 200$/m,
    /^< resp_authorization \{"type":"resp_authorization","resp_id":1,"status":\{"code":200,"message":"OK"\}\}$/m,
    /^< new_event \{"type":"new_event","event_id":"example-\d+",[^\n]*"mid":1,"trace_id":"trace-[^"]+"\}$/m,
    /^done: received the new_event$/m,
  ],
}

t.test('every example does its whole session against the default config', async (t) => {
  buildOnce()
  const server = await startBuilt(t, [], { DATA_DIR: t.testdir({}) })
  // The examples rely on the built-in credentials; the banner names the same ones.
  await server.waitFor((line) => line.msg.startsWith('try every protocol'))
  const tries = server.lines.filter((line) => line.msg.startsWith('try ')).map((line) => line.msg).join('\n')
  t.match(tries, /"user":"joe","secret":"s3cret"/)
  t.match(tries, /client_id=das_web_client/)
  t.match(tries, /create in \/messages\//)

  for (const [protocol, expected] of Object.entries(EXPECTED)) {
    const run = await runScript(process.execPath, [`examples/${protocol}.mjs`], { SWITCHBOARD_URL: server.url })
    t.equal(run.code, 0, `${protocol} exits 0${run.err ? `: ${run.err}` : ''}`)
    t.equal(run.err, '', `${protocol} prints no error`)
    for (const line of expected) t.match(run.out, line, `${protocol}: ${line.source}`)
  }

  t.test('a failure is a message and a non-zero exit, never a hang', async (t) => {
    const refused = await runScript(process.execPath, ['examples/webrocket.mjs'], { SWITCHBOARD_URL: server.url, WEBROCKET_SECRET: 'wrong' })
    t.equal(refused.code, 1)
    t.match(refused.err, /^error: INVALID_CREDENTIALS$/m)
    const unknown = await runScript(process.execPath, ['examples/really.mjs'], { SWITCHBOARD_URL: server.url, REALLY_COLLECTION: '/nothing/' })
    t.equal(unknown.code, 1)
    t.match(unknown.err, /^error: 404 model.unknown$/m)
    const nobody = await runScript(process.execPath, ['examples/syscache.mjs'], { SWITCHBOARD_URL: 'http://127.0.0.1:1' })
    t.equal(nobody.code, 1)
    t.match(nobody.err, /^error: /m)
  })
})
