import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Department } from '../db/schema.ts'

/** A matter with the content of its current version. */
function withCurrentVersion(db: Db) {
  return db
    .selectFrom('matters')
    .innerJoin('matterVersions', (join) => join.onRef('matterVersions.matterId', '=', 'matters.id').onRef('matterVersions.version', '=', 'matters.currentVersion'))
    .selectAll('matterVersions')
    .select(['matters.id as matterId', 'matters.code', 'matters.active', 'matters.demo', 'matters.currentVersion', 'matterVersions.id as versionId'])
}

export type MatterRow = Awaited<ReturnType<typeof findMatter>> & object

export function listMatters(db: Db, countyId: number, filter: { q?: string; department?: Department | ''; includeInactive?: boolean } = {}) {
  let query = withCurrentVersion(db).where('matters.countyId', '=', countyId)
  if (!filter.includeInactive) query = query.where('matters.active', '=', true)
  if (filter.department) query = query.where('matterVersions.department', '=', filter.department)
  const q = filter.q?.trim()
  if (q) {
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    query = query.where((eb) => eb.or([eb('matterVersions.name', 'ilike', like), eb('matters.code', 'ilike', like), eb(sql`matter_versions.name`, sql`%`, q)]))
  }
  return query.orderBy('matterVersions.department').orderBy('matters.code').execute()
}

export function findMatter(db: Db, countyId: number, matterId: number) {
  return withCurrentVersion(db).where('matters.countyId', '=', countyId).where('matters.id', '=', matterId).executeTakeFirst()
}

export function findMatterByCode(db: Db, countyId: number, code: string) {
  return withCurrentVersion(db).where('matters.countyId', '=', countyId).where('matters.code', '=', code).executeTakeFirst()
}

/** A past or present version, as a case accepted under it sees it. */
export function findMatterVersion(db: Db, versionId: number) {
  return db
    .selectFrom('matterVersions')
    .innerJoin('matters', 'matters.id', 'matterVersions.matterId')
    .selectAll('matterVersions')
    .select(['matters.code'])
    .where('matterVersions.id', '=', versionId)
    .executeTakeFirst()
}

export function listVersions(db: Db, matterId: number) {
  return db
    .selectFrom('matterVersions')
    .leftJoin('users', 'users.id', 'matterVersions.createdBy')
    .select(['matterVersions.id', 'matterVersions.version', 'matterVersions.name', 'matterVersions.promisedLimit', 'matterVersions.createdAt', 'users.displayName as createdByName'])
    .where('matterVersions.matterId', '=', matterId)
    .orderBy('matterVersions.version', 'desc')
    .execute()
}
