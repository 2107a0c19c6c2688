import type { Socket } from 'node:net'
import type { WebsocketPluginOptions } from '@fastify/websocket'
import type { ServerConfig } from '../../config/schema.js'
import { FrameReader, type FrameError, type FrameLimits } from './frame-reader.js'
import { OPCODE, bytesFrame, closeFrame, stringFrame } from './frames.js'
import { chooseNoSubprotocol } from './subprotocols.js'
import type { WsConnection } from './ws-connection.js'

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

/** ws's server options as ws hands them to every socket it builds (one object per server). */
export interface GatewaySocketOptions extends FrameLimits {
  /** How long a closing socket may wait for its peer's close before it is destroyed. */
  closeTimeout: number
  /** Unsent bytes past which a peer that pings without reading is cut off instead of answered. */
  sendBufferLimit: number
}

const GATEWAY = Symbol('switchboard.gatewayWebSocket')
type GatewayTcpSocket = Socket & { [GATEWAY]?: GatewayWebSocket }
const EMPTY = Buffer.alloc(0)

/**
 * The WebSocket of every upgrade the gateway accepts. ws still does the handshake (its
 * WebSocketServer validates the request and writes the 101, then builds this class, its
 * `WebSocket` option, src/app.ts); from then on this class is the connection: it reads frames
 * (FrameReader), writes them straight to the TCP socket and runs the closing handshake
 * (RFC 6455 §7) as ws does — the same events, close codes and order.
 *
 * Why not ws's own: idle connections are what a gateway holds most of (issue 21's memory
 * target), and ws gives each one a WebSocket, a Sender and a Receiver that is a Writable stream
 * with its state and six listeners — about a kilobyte before any frame. Here a connection is
 * this one object with a few fields, its socket's listeners shared functions.
 *
 * Its surface is what ws's server, @fastify/websocket and WsConnection call: readyState,
 * send, close, terminate, pause, resume, bufferedAmount, and the events 'message', 'close',
 * 'error', 'ping' and 'pong'. Pings are answered with pongs by the socket itself.
 *
 * ws documents its `WebSocket` option as its own class or a subclass; what its server does with
 * it (ws 8.23, pinned by the lock file) is construct it and call `setSocket` — and, with client
 * tracking or a subprotocol, neither of which the gateway uses, listen for 'close' and set
 * `_protocol`. This file is the one that relies on that; every WebSocket test fails if it changes.
 */
export class GatewayWebSocket extends FrameReader {
  /** Set by acceptWebSocket once the upgrade is accepted. */
  connection: WsConnection | null = null
  /** The TCP socket, from the handshake on. */
  socket: Socket | null = null
  readyState = CONNECTING
  isPaused = false
  readonly #options: GatewaySocketOptions
  #closeSent = false
  #closeReceived = false
  #refused = false
  #closeCode = 1006
  #closeReason: Buffer = EMPTY
  #closeTimer: NodeJS.Timeout | undefined

  /** As ws's server calls it: no address, no protocols, its own options. */
  constructor (_address: null, _protocols: undefined, options: GatewaySocketOptions) {
    super()
    this.#options = options
  }

  protected get frameLimits (): FrameLimits {
    return this.#options
  }

  /** ws's server hands over the TCP socket once the 101 is written; `head` is what came after it. */
  setSocket (socket: Socket, head: Buffer): void {
    this.socket = socket
    ;(socket as GatewayTcpSocket)[GATEWAY] = this
    socket.setTimeout(0)
    socket.setNoDelay()
    // Read with the rest, after the handler that accepts this socket has run.
    if (head.length > 0) socket.unshift(head)
    socket.on('close', onSocketClose)
    socket.on('data', onSocketData)
    socket.on('end', onSocketEnd)
    socket.on('error', onSocketError)
    this.readyState = OPEN
  }

  /** Bytes written but not yet taken by the kernel. */
  get bufferedAmount (): number {
    return this.socket?.writableLength ?? 0
  }

  /** The subprotocol agreed: none, ever (src/http/websocket/subprotocols.ts). */
  get protocol (): string {
    return ''
  }

  /** As ws's `send`: a string is a text frame, a Buffer a binary one unless `binary: false`. */
  send (data: string | Buffer, options?: { binary?: boolean }, done?: (err?: Error | null) => void): void {
    if (this.readyState === CONNECTING) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)')
    if (this.readyState !== OPEN) {
      if (done) process.nextTick(done, new Error(`WebSocket is not open: readyState ${this.readyState}`))
      return
    }
    const frame = typeof data === 'string'
      ? stringFrame(data)
      : bytesFrame(options?.binary === false ? OPCODE.text : OPCODE.binary, data)
    this.socket!.write(frame, done)
  }

  /** Writes a whole frame built elsewhere (fan-out frames, built once for every subscriber). */
  writeFrame (frame: Buffer): void {
    if (this.readyState === OPEN) this.socket!.write(frame)
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2): a close frame, then the socket ends once the
   * peer's close has come (or at once when the peer's frames were refused); destroyed after
   * closeTimeout if the peer never answers.
   */
  close (code?: number, reason?: string | Buffer): void {
    if (this.readyState === CLOSED) return
    if (this.readyState === CLOSING) {
      if (this.#closeSent && (this.#closeReceived || this.#refused)) this.socket!.end()
      return
    }
    if (this.readyState === CONNECTING) return
    const frame = closeFrame(code, reason)
    this.readyState = CLOSING
    this.#closeSent = true
    const socket = this.socket!
    socket.write(frame)
    if (this.#closeReceived || this.#refused) socket.end()
    this.#closeTimer = setTimeout(destroySocket, this.#options.closeTimeout, socket)
    this.#closeTimer.unref()
  }

  /** Destroys the socket at once (no closing handshake). */
  terminate (): void {
    if (this.readyState === CLOSED || !this.socket) return
    this.readyState = CLOSING
    this.socket.destroy()
  }

  pause (): void {
    if (this.readyState === CONNECTING || this.readyState === CLOSED) return
    this.isPaused = true
    this.socket!.pause()
  }

  resume (): void {
    if (this.readyState === CONNECTING || this.readyState === CLOSED) return
    this.isPaused = false
    this.socket!.resume()
  }

  protected messageRead (data: Buffer, isBinary: boolean): void {
    this.emit('message', data, isBinary)
  }

  /** The peer's close: echoed with its code (RFC 6455 §5.5.1), then the socket ends. */
  protected closeRead (code: number, reason: Buffer): void {
    this.#closeReceived = true
    this.#closeCode = code
    this.#closeReason = reason
    this.#stopListening()
    if (code === 1005) this.close()
    else this.close(code, reason)
  }

  /** ws's rule: answered while open, unless the peer leaves its answers unread past the send limit. */
  protected pingRead (data: Buffer): void {
    if (this.readyState === OPEN) {
      const socket = this.socket!
      if (socket.writableLength > this.#options.sendBufferLimit) {
        this.terminate()
      } else {
        socket.write(bytesFrame(OPCODE.pong, data))
      }
    }
    this.emit('ping', data)
  }

  protected pongRead (data: Buffer): void {
    this.emit('pong', data)
  }

  /** A refused frame closes with its code (and no reason, as ws does) and is reported as an error. */
  protected frameRefused (error: FrameError): void {
    this.#refused = true
    this.#stopListening()
    this.close(error.closeCode)
    this.emit('error', error)
  }

  /** Nothing more is read; the socket flows on so that the peer's end arrives even if it was paused. */
  #stopListening (): void {
    const socket = this.socket!
    socket.removeListener('data', onSocketData)
    process.nextTick(resumeSocket, socket)
  }

  /** The TCP socket closed: the WebSocket is closed, with the peer's code or 1006 (RFC 6455 §7.1.5). */
  socketClosed (socket: Socket): void {
    socket.removeListener('close', onSocketClose)
    socket.removeListener('data', onSocketData)
    socket.removeListener('end', onSocketEnd)
    // Frames the socket held while paused are still the peer's messages (ws reads them too).
    if (this.reading && socket.readableLength > 0) {
      const rest = socket.read(socket.readableLength) as Buffer | null
      if (rest) this.readChunk(rest)
    }
    ;(socket as GatewayTcpSocket)[GATEWAY] = undefined
    clearTimeout(this.#closeTimer)
    this.readyState = CLOSED
    this.emit('close', this.#closeCode, this.#closeReason)
  }
}

type WsServerOptions = NonNullable<WebsocketPluginOptions['options']>

/**
 * ws's server options for the gateway's route sockets: ws does the handshake and builds a
 * GatewayWebSocket with these options, shared by every socket of the server. ws's own defaults
 * stay for what is not named here (maxFragments: 16,384 frames a message).
 */
export function gatewaySocketServerOptions (server: Pick<ServerConfig, 'maxPayload' | 'closeTimeout' | 'sendBufferLimit'>): WsServerOptions {
  const gateway: Partial<GatewaySocketOptions> = { closeTimeout: server.closeTimeout, sendBufferLimit: server.sendBufferLimit }
  return {
    maxPayload: server.maxPayload,
    clientTracking: false,
    handleProtocols: chooseNoSubprotocol,
    // ws's types describe the option as ws's class with its statics; ws only constructs it and calls setSocket.
    WebSocket: GatewayWebSocket as unknown as WsServerOptions['WebSocket'],
    ...gateway,
  }
}

// The socket's listeners: shared functions that find their WebSocket through the socket.
function onSocketData (this: GatewayTcpSocket, chunk: Buffer): void {
  this[GATEWAY]?.readChunk(chunk)
}

function onSocketEnd (this: GatewayTcpSocket): void {
  const ws = this[GATEWAY]
  if (ws) ws.readyState = CLOSING
  this.end()
}

function onSocketClose (this: GatewayTcpSocket): void {
  this[GATEWAY]?.socketClosed(this)
}

// Stays the socket's error listener to the end: a second error finds the socket destroyed already.
function onSocketError (this: GatewayTcpSocket): void {
  const ws = this[GATEWAY]
  if (ws) ws.readyState = CLOSING
  this.destroy()
}

function resumeSocket (socket: Socket): void {
  socket.resume()
}

function destroySocket (socket: Socket): void {
  socket.destroy()
}
