import { hash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { SwitchboardError } from '../errors.js'
import { ConcurrencyGate } from './concurrency-gate.js'

// scrypt parameters for new hashes: r and p fixed, N (the cost) from `auth.passwordHashing.cost`
// (16384 in production: ~16 MiB and tens of milliseconds per hash; tests set it low). Each hash
// stores its own N, r and p, so a changed cost only applies to hashes made after it.
const R = 8
const P = 1
const KEY_LENGTH = 32

function derive (password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N: n, r, p, maxmem: 256 * n * r }, (err, key) => err ? reject(err) : resolve(key))
  })
}

/** `scrypt$N$r$p$salt$hash` with N = `cost` (a power of two), salt and hash in base64url. */
export async function hashPassword (password: string, cost: number): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, cost, R, P)
  return `scrypt$${cost}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

// Successful verifications are remembered as a keyed SHA-256 of the password, the key living
// only in this process, so a client that reconnects often (WebRocket authenticates on every
// connection) pays for scrypt once, not on every connection. Bounded; oldest dropped first.
// A one-shot hash of key + input rather than an HMAC object: it is computed on every login
// (issue 8's connection rate, a third of the cost), and the digest never leaves the process,
// so no one can extend it.
const CACHE_LIMIT = 10_000
const cacheKey = randomBytes(32).toString('base64')
const verified = new Map<string, Buffer>()
const mac = (stored: string, password: string) => hash('sha256', `${cacheKey}\0${stored}\0${password}`, 'buffer')

async function scryptCheck (stored: string, password: string, digest: Buffer): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p))
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return false
  if (verified.size >= CACHE_LIMIT) verified.delete(verified.keys().next().value as string)
  verified.set(stored, digest)
  return true
}

// scrypt runs on libuv's thread pool (4 threads by default, shared with fs and dns): a flood of
// wrong passwords would queue every check behind it (1,000 in flight made a valid login wait
// 13 s). Checks are bounded per process: `concurrency` at once, `queue` more waiting, and past
// that a check fails at once with BUSY (REST 503 + Retry-After, each socket protocol its own
// error). Cached and de-duplicated checks never take a place. Hashing new passwords (user
// creation by a service or at start-up) is not gated: only authenticated callers reach it.
const gate = new ConcurrencyGate(2, 16)
const RETRY_WHEN_BUSY_MS = 1000

/** `auth.passwordHashing` from the config; one gate per process, so the last app configured sets it. */
export function configurePasswordHashing ({ concurrency, queue }: { concurrency: number, queue: number }): void {
  gate.resize(concurrency, queue)
}

/** Checks running and waiting now (tests and metrics). */
export function passwordChecksInFlight (): { running: number, waiting: number } {
  return { running: gate.running, waiting: gate.waiting }
}

// Checks in progress, keyed by the HMAC: a crowd logging in at once with the same credentials
// (a deploy, a reconnect storm) runs scrypt once, not once each before the cache is warm.
const checking = new Map<string, Promise<boolean>>()

/**
 * Constant-time check of `password` against a stored `scrypt$…` hash. Rejects with
 * SwitchboardError BUSY (nothing checked) when the process's checks are at their cap.
 */
export function verifyPassword (stored: string, password: string): Promise<boolean> {
  const digest = mac(stored, password)
  const remembered = verified.get(stored)
  if (remembered && timingSafeEqual(remembered, digest)) return Promise.resolve(true)
  const key = digest.toString('base64')
  let check = checking.get(key)
  if (!check) {
    const admitted = gate.run(() => scryptCheck(stored, password, digest))
    if (!admitted) return Promise.reject(new SwitchboardError('BUSY', 'too many password checks in progress; try again shortly', RETRY_WHEN_BUSY_MS))
    check = admitted.finally(() => checking.delete(key))
    checking.set(key, check)
  }
  return check
}

// Checked when the user does not exist, so "no such user" takes as long as "wrong password":
// at the cost real users' hashes are made with. One per cost, not one per process: apps with
// different configs (tests run several in one process) each burn at their own cost.
const dummyHashes = new Map<number, Promise<string>>()
export async function burnPasswordCheck (password: string, cost: number): Promise<void> {
  let dummy = dummyHashes.get(cost)
  if (!dummy) {
    dummy = hashPassword(randomBytes(16).toString('hex'), cost)
    dummyHashes.set(cost, dummy)
  }
  // Busy here too, like a real check would be: "no such user" must not answer differently.
  await verifyPassword(await dummy, password)
}
