import type { Hub } from '../../src/core/hub/hub.js'
import type { Vhost } from './vhost-registry.js'

/** A server-side broadcast: subscribers get `{event, channel, data}`, like a client's (spec §2.4). */
export function publishBroadcast (hub: Hub, vhost: Vhost, channel: string, event: string, data: unknown): Promise<void> {
  return hub.publishRaw(vhost.topicPrefix + channel, JSON.stringify({ event, channel, data }))
}
