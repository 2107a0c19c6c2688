import type { Services } from '../../src/core/services.js'
import { eventTopic, type EventType } from './frames.js'

// Last payload of each type, cluster-wide and without ttl (spec §1.8: subscribe replays it).
const lastKey = (type: EventType) => `syscache:last:${type}`

/**
 * Pushes an event: kept as the last of its type first, then fanned out through the hub, so a
 * client subscribing meanwhile gets it by replay or live (possibly both, never an older one).
 */
export async function publishEvent (services: Services, type: EventType, payload: unknown): Promise<void> {
  const json = JSON.stringify(payload ?? null)
  await services.store.set(lastKey(type), json, 0)
  await services.hub.publishRaw(eventTopic(type), json)
}

/** The JSON text of the last payload of `type`, or null if none was ever published. */
export function lastEvent (services: Services, type: EventType): Promise<string | null> {
  return services.store.get(lastKey(type))
}
