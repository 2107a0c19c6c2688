import { STATUS_CODES } from 'node:http'
import type { HubMessage } from '../../src/core/hub/message.js'

/**
 * Error codes of spec §1.5, plus 500 for a failing backend (README, "Backend") and 503 for a
 * password check refused because the server's checks are at their cap (README, "Throttling").
 */
export const STATUS = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
} as const

/**
 * One of ours, or the 4xx a backend answered with (core reply `rejected`), which the client gets
 * as it is (README "Backend"), with its HTTP reason phrase as the message.
 */
export type ErrorCode = keyof typeof STATUS | number

const messageOf = (code: ErrorCode): string => (STATUS as Record<number, string>)[code] ?? STATUS_CODES[code] ?? 'Error'

export type Id = string | number

/** `{"namespace":<ns>,"name":"response","id":<id>,"args":<args>}` (spec §1.3). */
export function replyFrame (namespace: string, id: Id, args: unknown): string {
  return JSON.stringify({ namespace, name: 'response', id, args })
}

/** Seed error envelope for every namespace (spec §1.5, §1.9 #3): namespace rpc, numeric code. */
export function errorFrame (id: Id, code: ErrorCode, message: string = messageOf(code)): string {
  return JSON.stringify({ namespace: 'rpc', name: 'error', id, args: { code, message } })
}

/** The black-list's refusal (spec §1.9 #10: the message the final server meant to send). */
export const TOO_MANY_FAILURES = 'Too Many Authorization Failures - Try again later'

/** The event types of spec §1.4 #11, hyphenated everywhere (§1.9 #5). */
export const EVENT_TYPES = ['dispatcher', 'life-preserver', 'system-state'] as const
export type EventType = typeof EVENT_TYPES[number]
export const isEventType = (name: string): name is EventType => (EVENT_TYPES as readonly string[]).includes(name)

export type EventFormat = 'legacy' | 'typed'

/**
 * An event push built from the payload's JSON text, which is spliced in as it is: the payload is
 * never parsed or re-serialised (design.md §4). Legacy = §1.4 #13, typed = §1.4 #13b.
 */
export function eventFrame (format: EventFormat, type: string, payloadJson: string): Buffer {
  const name = JSON.stringify(type)
  return Buffer.from(format === 'legacy'
    ? `{"namespace":"events","name":"event","id":"","args":{"name":${name},"args":${payloadJson}}}`
    : `{"namespace":"events","name":${name},"id":"","args":${payloadJson}}`)
}

/** An event type as the access rules name it (README "Authorization"): `events/dispatcher`. */
export const eventResource = (type: EventType): string => `events/${type}`

export const EVENT_TOPIC_PREFIX = 'syscache:event:'
export const eventTopic = (type: EventType) => EVENT_TOPIC_PREFIX + type
const typeOfTopic = (topic: string) => topic.slice(EVENT_TOPIC_PREFIX.length)

// Module-level encoders (one frame per message per format, shared by every subscriber).
export function encodeLegacyEvent (message: HubMessage): Buffer {
  return eventFrame('legacy', typeOfTopic(message.topic), message.raw)
}
export function encodeTypedEvent (message: HubMessage): Buffer {
  return eventFrame('typed', typeOfTopic(message.topic), message.raw)
}
