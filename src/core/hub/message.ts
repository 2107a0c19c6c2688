import type { Frame } from '../connection.js'

/** Builds one wire frame from a message; must be a module-level function, not a closure per message. */
export type FrameEncoder = (message: HubMessage) => Frame

/**
 * One published message as every local subscriber sees it: the JSON text as it crossed the
 * broker, parsed at most once, and each wire format's frame built at most once (design.md §4).
 */
export class HubMessage {
  #data: unknown
  #parsed = false
  #frames: Map<string, Frame> | undefined

  constructor (readonly topic: string, readonly raw: string) {}

  get data (): unknown {
    if (!this.#parsed) {
      this.#data = JSON.parse(this.raw)
      this.#parsed = true
    }
    return this.#data
  }

  /** The frame for wire format `format`, encoded on first use and shared afterwards. */
  frame (format: string, encode: FrameEncoder): Frame {
    this.#frames ??= new Map()
    let frame = this.#frames.get(format)
    if (frame === undefined) {
      frame = encode(this)
      this.#frames.set(format, frame)
    }
    return frame
  }
}
