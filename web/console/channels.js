// What the console knows about each socket endpoint, read from the server's AsyncAPI document
// (GET /docs/asyncapi.json): where to connect, which REST operation issues its token, and the
// frames a client may send (the channel's `receive` operations), one template per example.

// Parameters of an address that the document gives no default for: the default config's vhost.
const FALLBACK_PARAMETERS = { vhost: '/echo' }

/** A JSON pointer (`#/components/messages/x`) into the document, or undefined. */
function pointer (doc, ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return undefined
  return ref.slice(2).split('/')
    .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((node, key) => node?.[key], doc)
}

/** Follows `$ref`s (a bounded number: a document could point in a circle). */
function resolve (doc, node) {
  for (let hops = 0; node?.$ref !== undefined && hops < 16; hops++) node = pointer(doc, node.$ref)
  return node
}

/** An address parameter: its starting value and the values the document lists (for a datalist). */
function parameterOf (doc, channel, name) {
  const parameter = resolve(doc, channel.parameters?.[name]) ?? {}
  const choices = parameter.enum ?? parameter.examples ?? []
  return { name, value: parameter.default ?? choices[0] ?? FALLBACK_PARAMETERS[name] ?? '', choices, description: parameter.description ?? '' }
}

/** "title: example" for the dropdown, the example's name left out where it only repeats the title. */
function labelOf (message, example) {
  const title = message.title ?? message.name
  const same = (name) => name === undefined || [title, message.name].some((n) => String(n).toLowerCase() === String(name).toLowerCase())
  return same(example.name) ? title : `${title}: ${example.name}`
}

/** Templates of the frames a client sends on each channel id: operations with action `receive`. */
function clientTemplates (doc) {
  const byChannel = new Map()
  for (const operation of Object.values(doc.operations ?? {})) {
    if (operation?.action !== 'receive') continue
    const channelRef = operation.channel?.$ref ?? ''
    if (!channelRef.startsWith('#/channels/')) continue
    const id = channelRef.slice('#/channels/'.length)
    const templates = byChannel.get(id) ?? []
    for (const ref of operation.messages ?? []) {
      const message = resolve(doc, resolve(doc, ref))
      if (message === undefined) continue
      for (const example of message.examples ?? []) {
        templates.push({
          label: labelOf(message, example),
          // Socket.IO: the event the payload goes with (the message's name, unless the document says).
          event: message['x-socketio-event'] ?? message.name,
          summary: example.summary ?? message.summary ?? '',
          payload: example.payload,
        })
      }
    }
    byChannel.set(id, templates)
  }
  return byChannel
}

/**
 * The channels of the document: `{ id, title, address, parameters: [{name, value, choices,
 * description}], namespace (DAS's Socket.IO namespace, else null), token (x-token:
 * {operationId, method, path} or null), tokenDescription, templates }`.
 */
export function channelsOf (doc) {
  const templates = clientTemplates(doc)
  return Object.entries(doc.channels ?? {}).map(([id, channel]) => ({
    id,
    title: channel.title ?? id,
    address: channel.address ?? '',
    parameters: Array.from((channel.address ?? '').matchAll(/\{([^}]+)\}/g), ([, name]) => parameterOf(doc, channel, name)),
    namespace: channel['x-socketio-namespace'] ?? null,
    token: channel['x-token'] ?? null,
    tokenDescription: channel['x-token-description'] ?? '',
    templates: templates.get(id) ?? [],
  }))
}

/** The channel's address with its parameters filled in (a vhost's leading slash dropped). */
export function pathOf (channel, values) {
  return channel.address.replace(/\{([^}]+)\}/g, (_, name) => encodeURI(String(values[name] ?? '').replace(/^\/+/, '')))
}

// Where a frame carries a token: Telegraphy `auth_token`, Really `accessToken`, DAS
// `authorization` ("Bearer …"), and the plain spellings a document may use.
const TOKEN_KEY = /^(auth_?token|access_?token|authorization|token)$/i

/**
 * A copy of `payload` with `token` in every field named like a token (a value that started
 * with "Bearer " keeps that prefix), and whether there was any such field.
 */
export function withToken (payload, token) {
  let used = false
  const fill = (value) => {
    if (Array.isArray(value)) return value.map(fill)
    if (value === null || typeof value !== 'object') return value
    const copy = {}
    for (const [key, inner] of Object.entries(value)) {
      if (TOKEN_KEY.test(key) && typeof inner === 'string') {
        used = true
        copy[key] = /^bearer /i.test(inner) ? `Bearer ${token}` : token
      } else {
        copy[key] = fill(inner)
      }
    }
    return copy
  }
  const filled = token ? fill(payload) : payload
  return { payload: filled, used }
}
