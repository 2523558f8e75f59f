import type { Db } from '../db/connect.ts'
import { scopeOf, type Actor } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'

/**
 * An applicant's file within the actor's jurisdiction, with the station's names; undefined outside
 * it or missing (the route answers 404 for both). The ID number stays sealed here: the caller
 * opens it (privacy/id-vault.ts) only when the page shows it.
 */
export function findApplicantInScope(db: Db, actor: Actor, id: number) {
  return db
    .selectFrom('applicants')
    .innerJoin('villages', 'villages.id', 'applicants.villageId')
    .innerJoin('towns', 'towns.id', 'villages.townId')
    .selectAll('applicants')
    .select(['villages.name as villageName', 'villages.stationPhone', 'towns.name as townName'])
    .where('applicants.id', '=', id)
    .where((eb) => inScope(eb, scopeOf(actor), { countyId: 'applicants.countyId', townId: 'villages.townId', villageId: 'applicants.villageId' }))
    .executeTakeFirst()
}
