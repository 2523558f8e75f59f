import type { FastifyRequest } from 'fastify'
import type { Db } from '../db/connect.ts'
import { scopeOf } from '../accounts/actor.ts'
import { NotFound } from '../errors/errors.ts'
import { findVillageInScope, listVillagesInScope } from './org.repository.ts'

/**
 * The station a records page is about: an agent's own; for a supervisor or admin the one asked for
 * (404 outside their area), or the first of their area.
 */
export async function resolveStation(db: Db, request: FastifyRequest, villageId: number | null) {
  const actor = request.actor!
  const scope = scopeOf(actor)
  const wanted = actor.role === 'agent' ? actor.villageId : villageId
  const stations = await listVillagesInScope(db, scope)
  const id = wanted ?? stations[0]?.id
  const station = id ? await findVillageInScope(db, scope, id) : undefined
  if (!station) throw new NotFound()
  return { station, stations }
}
