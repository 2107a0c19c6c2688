/**
 * R, the address of a collection or an object (spec §4.3, upstream `R.scala`):
 * `/collection/id/collection/id…`, collection names `[A-Za-z_$][A-Za-z0-9_$-]*`, ids numeric
 * (Long) or `*`, trailing slash optional, a missing trailing id meaning `*`. Rs are always
 * written normalised: `/users/123/` for an object, `/users/*\/` for a collection.
 */

import { nameProblem } from '../../src/core/limits/index.js'

const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*$/
const ID = /^[0-9]{1,19}$/
const LONG_MAX = 9223372036854775807n

export interface RToken {
  collection: string
  /** Decimal id without leading zeros, or `*`. */
  id: string
}

export interface R {
  tokens: RToken[]
  /** Normalised text, e.g. `/users/5/posts/*\/`. */
  text: string
  /** The last token has a numeric id. */
  isObject: boolean
  /** Model path of the collection the R belongs to, every id as `*`: `/users/*\/posts/*\/`. */
  model: string
}

const write = (tokens: RToken[]) => tokens.map((t) => `/${t.collection}/${t.id}`).join('') + '/'

/** Parses and normalises an R; null if it is not one. */
export function parseR (input: unknown): R | null {
  if (typeof input !== 'string' || !input.startsWith('/') || input.length > 1024) return null
  const parts = input.slice(1).split('/')
  if (parts[parts.length - 1] === '') parts.pop()
  if (parts.length === 0) return null
  if (parts.length % 2 === 1) parts.push('*')
  const tokens: RToken[] = []
  for (let i = 0; i < parts.length; i += 2) {
    const collection = parts[i]
    let id = parts[i + 1]
    if (!NAME.test(collection) || nameProblem(collection) !== null) return null
    if (id !== '*') {
      if (!ID.test(id) || BigInt(id) > LONG_MAX) return null
      id = BigInt(id).toString()
    }
    tokens.push({ collection, id })
  }
  return {
    tokens,
    text: write(tokens),
    isObject: tokens[tokens.length - 1].id !== '*',
    model: write(tokens.map((t) => ({ collection: t.collection, id: '*' }))),
  }
}

/** The collection R an object lives in (`/users/5/` → `/users/*\/`), or the collection itself. */
export function collectionOf (r: R): string {
  return write([...r.tokens.slice(0, -1), { collection: r.tokens[r.tokens.length - 1].collection, id: '*' }])
}

/** The R of the object that owns a nested collection (`/users/5/posts/*\/` → `/users/5/`), or null. */
export function parentOf (r: R): string | null {
  return r.tokens.length > 1 ? write(r.tokens.slice(0, -1)) : null
}

/** Parent ids of a collection R must be concrete: `/users/*\/posts/` is a model path, not an address. */
export function hasConcreteParents (r: R): boolean {
  for (let i = 0; i < r.tokens.length - 1; i++) if (r.tokens[i].id === '*') return false
  return true
}

/** The numeric id of an object R as a JS number, or null when it cannot be one of ours. */
export function objectId (r: R): number | null {
  const id = Number(r.tokens[r.tokens.length - 1].id)
  return Number.isSafeInteger(id) ? id : null
}

export const objectR = (collection: string, id: number | string): string => `${collection.slice(0, -2)}${id}/`
