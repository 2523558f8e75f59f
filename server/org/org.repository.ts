import type { Db } from '../db/connect.ts'
import type { Scope } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'

export function listTowns(db: Db, countyId: number) {
  return db.selectFrom('towns').selectAll().where('countyId', '=', countyId).orderBy('code').execute()
}

export function listVillagesInScope(db: Db, scope: Scope) {
  return db
    .selectFrom('villages')
    .innerJoin('towns', 'towns.id', 'villages.townId')
    .select(['villages.id', 'villages.code', 'villages.name', 'villages.townId', 'villages.stationPhone', 'villages.officeHours', 'towns.name as townName'])
    .where((eb) => inScope(eb, scope, { countyId: 'villages.countyId', townId: 'villages.townId', villageId: 'villages.id' }))
    .orderBy('towns.code')
    .orderBy('villages.code')
    .execute()
}

/** A village (station) the actor may see, or undefined — which the route turns into 404. */
export function findVillageInScope(db: Db, scope: Scope, villageId: number) {
  return db
    .selectFrom('villages')
    .innerJoin('towns', 'towns.id', 'villages.townId')
    .selectAll('villages')
    .select(['towns.name as townName'])
    .where('villages.id', '=', villageId)
    .where((eb) => inScope(eb, scope, { countyId: 'villages.countyId', townId: 'villages.townId', villageId: 'villages.id' }))
    .executeTakeFirst()
}

export function listWindows(db: Db, countyId: number) {
  return db
    .selectFrom('windows')
    .leftJoin('towns', 'towns.id', 'windows.townId')
    .selectAll('windows')
    .select(['towns.name as townName'])
    .where('windows.countyId', '=', countyId)
    .orderBy('towns.code', (ob) => ob.nullsFirst())
    .orderBy('windows.department')
    .execute()
}

export function listStationAgents(db: Db, villageId: number) {
  return db
    .selectFrom('users')
    .select(['id', 'displayName', 'phone', 'post'])
    .where('villageId', '=', villageId)
    .where('role', '=', 'agent')
    .where('disabled', '=', false)
    .orderBy('post')
    .orderBy('displayName')
    .execute()
}

export function findCounty(db: Db, countyId: number) {
  return db.selectFrom('counties').selectAll().where('id', '=', countyId).executeTakeFirstOrThrow()
}
