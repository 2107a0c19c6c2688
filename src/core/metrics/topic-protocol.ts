import { ACCESS_PROTOCOLS } from '../access/vocabulary.js'

const PROTOCOLS = new Set<string>(ACCESS_PROTOCOLS)

/**
 * The protocol a hub topic belongs to, for the `protocol` label: topics are namespaced by
 * protocol (`webrocket:/echo:hello`, `really:/users/1/`, design.md §2); the core's own and the
 * plugins' node-to-node topics (`core:roles`, `telegraphy-node:…`) are `internal`.
 */
export function topicProtocol (topic: string): string {
  const colon = topic.indexOf(':')
  const prefix = colon < 0 ? topic : topic.slice(0, colon)
  return PROTOCOLS.has(prefix) ? prefix : 'internal'
}
