/**
 * The AsyncAPI document as one HTML page, rendered on the server: no script, no font, no
 * stylesheet from anywhere (the page makes no request at all), so it works offline and under
 * the strict CSP of src/http/security-headers.ts. It reads the document it renders (not the
 * plugins), so the page shows exactly what /docs/asyncapi.json says.
 */

type Json = Record<string, unknown>

const escape = (text: unknown): string => String(text)
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const pretty = (value: unknown): string => `<pre>${escape(JSON.stringify(value, null, 2))}</pre>`

/** Paragraphs, with `backticked` words as code. */
const prose = (text: unknown): string => String(text).split(/\n{2,}/)
  .map((paragraph) => `<p>${escape(paragraph).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`).join('')

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header, main { max-width: 72rem; margin: 0 auto; padding: 0 1.5rem; }
header { padding-top: 1.5rem; }
nav a { margin-right: 1rem; }
section.channel { background: #fff; border: 1px solid #d9dde3; border-radius: 6px; padding: 0 1.25rem 1rem; margin: 1.5rem 0; }
code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
pre { background: #f1f3f6; padding: .6rem; overflow-x: auto; border-radius: 4px; }
.address { font-size: 1.05rem; }
.token { border-left: 3px solid #3b6fd1; padding-left: .75rem; }
.message { border-top: 1px solid #e6e9ee; padding: .5rem 0; }
.message h4 { margin: .25rem 0; }
.direction { color: #5a6475; font-weight: normal; }
summary { cursor: pointer; color: #3b6fd1; }
`

function message (ref: string, components: Json): string {
  const id = ref.replace('#/components/messages/', '')
  const m = components[id] as Json
  const examples = (m.examples as Json[]).map((example) =>
    `<div><strong>${escape(example.name)}</strong>${example.summary === undefined ? '' : ` — ${escape(example.summary)}`}${pretty(example.payload)}</div>`).join('')
  return `<div class="message" id="message-${escape(id)}">
<h4>${escape(m.title)} <code>${escape(m.name)}</code></h4>
<p>${escape(m.summary)}</p>
${examples}
<details><summary>payload schema</summary>${pretty(m.payload)}</details>
</div>`
}

function channel (id: string, c: Json, operations: Json, components: Json): string {
  const token = c['x-token'] as { operationId: string, method: string, path: string } | null
  const tokenLine = token === null
    ? '<p>No REST token: the socket logs in by itself.</p>'
    : `<p>REST operation: <a href="/docs"><code>${escape(token.method)} ${escape(token.path)}</code></a> (operationId <code>${escape(token.operationId)}</code>)</p>`
  const namespace = c['x-socketio-namespace'] === undefined ? '' : ` — Socket.IO namespace <code>${escape(c['x-socketio-namespace'])}</code>`
  const parameters = c.parameters === undefined ? '' : `<p>Parameters:</p>${pretty(c.parameters)}`
  const byAction = (action: string, heading: string): string => {
    // Every channel has both operations (document.ts).
    const op = operations[`${id}.${action}`] as Json
    const refs = (op.messages as Array<{ $ref: string }>).map((m) => (c.messages as Record<string, { $ref: string }>)[m.$ref.split('/').pop()!]!.$ref)
    return `<h3>${heading}</h3>${refs.map((ref) => message(ref, components)).join('')}`
  }
  const [about] = String(c.description).split('\n\nToken: ')
  return `<section class="channel" id="${escape(id)}">
<h2>${escape(c.title)} <span class="direction">(channel <code>${escape(id)}</code>)</span></h2>
<p class="address">Address: <code>${escape(c.address)}</code>${namespace}</p>
${prose(about)}
${parameters}
<div class="token"><h3>Token</h3>${prose(c['x-token-description'])}${tokenLine}</div>
${byAction('receive', 'Client → server <span class="direction">(the server receives)</span>')}
${byAction('send', 'Server → client <span class="direction">(the server sends)</span>')}
</section>`
}

export function asyncApiPage (document: Json): string {
  const info = document.info as Json
  const channels = document.channels as Record<string, Json>
  const operations = document.operations as Json
  const components = (document.components as Json).messages as Json
  const nav = Object.entries(channels).map(([id, c]) => `<a href="#${escape(id)}">${escape(c.title)}</a>`).join('')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(info.title)} — AsyncAPI</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escape(info.title)} <small>${escape(info.version)}</small></h1>
${prose(info.description)}
<p>AsyncAPI ${escape(document.asyncapi)}: <a href="/docs/asyncapi.json">/docs/asyncapi.json</a> · REST: <a href="/docs">/docs</a> · <a href="/console">console</a></p>
<nav>${nav}</nav>
</header>
<main>
${Object.entries(channels).map(([id, c]) => channel(id, c, operations, components)).join('\n')}
</main>
</body>
</html>
`
}
