import type { Role } from '../db/schema.ts'

/** The signed-in user, as every domain function receives it. */
export interface Actor {
  id: number
  countyId: number
  username: string
  displayName: string
  role: Role
  post: 'A' | 'B' | null
  villageId: number | null
  windowId: number | null
  /** The supervisor's town; for an agent the village's town; for a clerk the window's town (null: county centre). */
  townId: number | null
  tokenVersion: number
}

/**
 * Jurisdiction: what part of the county an actor may see.
 * agent → its village; clerk → its window; supervisor → its town, or the county when it has none; admin → the county.
 */
export type Scope =
  | { kind: 'village'; countyId: number; villageId: number; townId: number }
  | { kind: 'window'; countyId: number; windowId: number; townId: number | null }
  | { kind: 'town'; countyId: number; townId: number }
  | { kind: 'county'; countyId: number }

export function scopeOf(actor: Actor): Scope {
  switch (actor.role) {
    case 'agent':
      return { kind: 'village', countyId: actor.countyId, villageId: actor.villageId!, townId: actor.townId! }
    case 'clerk':
      return { kind: 'window', countyId: actor.countyId, windowId: actor.windowId!, townId: actor.townId }
    case 'supervisor':
      return actor.townId === null ? { kind: 'county', countyId: actor.countyId } : { kind: 'town', countyId: actor.countyId, townId: actor.townId }
    case 'admin':
      return { kind: 'county', countyId: actor.countyId }
  }
}
