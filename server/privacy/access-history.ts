import { sql, type ExpressionBuilder, type SqlBool, type Expression } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Database, PersonalDataField, Role } from '../db/schema.ts'
import type { Scope } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'

/**
 * Reading the record of who saw whose personal data (table personal_data_access, written by
 * access-log.ts): the history on a person's file, the villager's access report, and the
 * supervisors' page of unusual access. Times are instants; days are local days of the county.
 */

/** A period of local days, both ends included; an open end reaches to the first or the last record. */
export interface DayRange {
  from?: string
  to?: string
}

export interface AccessEntry {
  id: string
  at: Date
  kind: 'reveal' | 'export' | 'report'
  field: PersonalDataField | null
  page: string
  exportName: string | null
  rowCount: number | null
  applicantId: number | null
  actorId: number
  actorName: string
  actorRole: Role
}

type AccessQueryBuilder = ExpressionBuilder<Database & { pda: Database['personalDataAccess'] }, 'pda'>

const ENTRY_COLUMNS = [
  'pda.id', 'pda.at', 'pda.kind', 'pda.field', 'pda.page', 'pda.exportName', 'pda.rowCount', 'pda.applicantId', 'pda.actorId',
  'users.displayName as actorName', 'users.role as actorRole',
] as const

/** The instants of a range of local days: from the start of `from` to the end of `to`. */
function withinDays(eb: AccessQueryBuilder, range: DayRange, timeZone: string): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = []
  if (range.from) conditions.push(eb('pda.at', '>=', sql<Date>`(${range.from}::date::timestamp at time zone ${timeZone})`))
  if (range.to) conditions.push(eb('pda.at', '<', sql<Date>`((${range.to}::date + 1)::timestamp at time zone ${timeZone})`))
  return eb.and(conditions)
}

/** The rows about one applicant: a reveal or report of them, or an export that carried them. */
function aboutApplicant(eb: AccessQueryBuilder, applicantId: number): Expression<SqlBool> {
  // Two conditions each with its own index (applicant_id; the GIN index of applicant_ids).
  return eb.or([eb('pda.applicantId', '=', applicantId), sql<SqlBool>`${eb.ref('pda.applicantIds')} @> array[${applicantId}]::integer[]`])
}

/**
 * Every access to one applicant's data, newest first: at most `limit` of them, with how many there
 * are in all. The caller has checked that the applicant is within the reader's jurisdiction.
 */
export async function accessesOfApplicant(db: Db, countyId: number, applicantId: number, range: DayRange, timeZone: string, limit: number): Promise<{ entries: AccessEntry[]; total: number }> {
  const base = db
    .selectFrom('personalDataAccess as pda')
    .where('pda.countyId', '=', countyId)
    .where((eb) => aboutApplicant(eb, applicantId))
    .where((eb) => withinDays(eb, range, timeZone))
  const [entries, count] = await Promise.all([
    base.innerJoin('users', 'users.id', 'pda.actorId').select(ENTRY_COLUMNS).orderBy('pda.at', 'desc').orderBy('pda.id', 'desc').limit(limit).execute(),
    base.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ])
  return { entries, total: count.n }
}

/** The accessed applicant's place within the reader's jurisdiction (applicants and villages joined). */
const applicantInScope = (scope: Scope) => (eb: ExpressionBuilder<Database & { pda: Database['personalDataAccess'] }, 'pda' | 'applicants' | 'villages'>) =>
  inScope(eb, scope, { countyId: 'applicants.countyId', townId: 'villages.townId', villageId: 'applicants.villageId' })

/**
 * Whether the person who saw an applicant's data works on one of that applicant's cases: as its
 * agent, as a clerk of the window holding it, or by having taken any step on it. A reveal without
 * such a link is worth a supervisor's look. (Needs `users` joined as the actor.)
 */
function linkedToApplicant(eb: ExpressionBuilder<Database & { pda: Database['personalDataAccess'] }, 'pda' | 'users'>): Expression<SqlBool> {
  const actor = eb.ref('pda.actorId')
  return eb.exists(
    eb
      .selectFrom('cases')
      .select(sql`1`.as('one'))
      .whereRef('cases.applicantId', '=', 'pda.applicantId')
      .where((c) =>
        c.or([
          c('cases.agentId', '=', actor),
          c.and([c('users.windowId', 'is not', null), c('cases.windowId', '=', c.ref('users.windowId'))]),
          c.exists(c.selectFrom('caseEvents').select(sql`1`.as('one')).whereRef('caseEvents.caseId', '=', 'cases.id').where('caseEvents.actorId', '=', actor)),
        ]),
      ),
  )
}

export interface FrequentRevealer {
  actorId: number
  actorName: string
  actorRole: Role
  day: string
  applicants: number
}

/**
 * People who revealed the ID number or phone of at least `threshold` different applicants in one
 * local day, counting only the applicants within the reader's jurisdiction: most in a day first.
 */
export async function frequentRevealers(db: Db, scope: Scope, range: DayRange, timeZone: string, threshold: number): Promise<FrequentRevealer[]> {
  const day = sql<string>`to_char(pda.at at time zone ${timeZone}, 'YYYY-MM-DD')`
  const applicants = sql<number>`count(distinct pda.applicant_id)::int`
  return db
    .selectFrom('personalDataAccess as pda')
    .innerJoin('applicants', 'applicants.id', 'pda.applicantId')
    .innerJoin('villages', 'villages.id', 'applicants.villageId')
    .innerJoin('users', 'users.id', 'pda.actorId')
    .select(['pda.actorId', 'users.displayName as actorName', 'users.role as actorRole', day.as('day'), applicants.as('applicants')])
    .where('pda.countyId', '=', scope.countyId)
    .where('pda.kind', '=', 'reveal')
    .where((eb) => withinDays(eb, range, timeZone))
    .where(applicantInScope(scope))
    // By the output column: the same expression written twice would carry the time zone as two parameters, which PostgreSQL does not see as one.
    .groupBy(['pda.actorId', 'users.displayName', 'users.role', sql`day`])
    .having(applicants, '>=', Math.max(1, threshold))
    .orderBy('applicants', 'desc')
    .orderBy('day', 'desc')
    .orderBy('pda.actorId')
    .execute()
}

export interface AccessWithApplicant extends AccessEntry {
  applicantName: string | null
  villageName: string | null
  townName: string | null
  /** For a reveal: whether the person works on one of the applicant's cases. */
  linked: boolean | null
}

/** Reveals of applicants within the reader's jurisdiction by people with no case of theirs: newest first, at most `limit`, and the total. */
export async function revealsOutsideOwnCases(db: Db, scope: Scope, range: DayRange, timeZone: string, limit: number): Promise<{ entries: AccessWithApplicant[]; total: number }> {
  const base = db
    .selectFrom('personalDataAccess as pda')
    .innerJoin('applicants', 'applicants.id', 'pda.applicantId')
    .innerJoin('villages', 'villages.id', 'applicants.villageId')
    .innerJoin('towns', 'towns.id', 'villages.townId')
    .innerJoin('users', 'users.id', 'pda.actorId')
    .where('pda.countyId', '=', scope.countyId)
    .where('pda.kind', '=', 'reveal')
    .where((eb) => withinDays(eb, range, timeZone))
    .where(applicantInScope(scope))
    .where((eb) => eb.not(linkedToApplicant(eb)))
  const [entries, count] = await Promise.all([
    base
      .select(ENTRY_COLUMNS)
      .select(['applicants.name as applicantName', 'villages.name as villageName', 'towns.name as townName', sql<boolean>`false`.as('linked')])
      .orderBy('pda.at', 'desc')
      .orderBy('pda.id', 'desc')
      .limit(limit)
      .execute(),
    base.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ])
  return { entries, total: count.n }
}

/**
 * One person's accesses over a period, newest first (at most `limit`, and the total): reveals and
 * reports of applicants within the reader's jurisdiction, and exports that carried any of them.
 */
export async function accessesByUser(db: Db, scope: Scope, userId: number, range: DayRange, timeZone: string, limit: number): Promise<{ entries: AccessWithApplicant[]; total: number }> {
  const base = db
    .selectFrom('personalDataAccess as pda')
    .innerJoin('users', 'users.id', 'pda.actorId')
    .leftJoin('applicants', 'applicants.id', 'pda.applicantId')
    .leftJoin('villages', 'villages.id', 'applicants.villageId')
    .leftJoin('towns', 'towns.id', 'villages.townId')
    .where('pda.countyId', '=', scope.countyId)
    .where('pda.actorId', '=', userId)
    .where((eb) => withinDays(eb, range, timeZone))
    .where((eb) =>
      eb.or([
        eb.and([eb('applicants.id', 'is not', null), inScope(eb, scope, { countyId: 'applicants.countyId', townId: 'villages.townId', villageId: 'applicants.villageId' })]),
        eb.and([
          eb('pda.kind', '=', 'export'),
          scope.kind === 'county'
            ? sql<SqlBool>`true`
            : eb.exists(
                eb
                  .selectFrom('applicants as carried')
                  .innerJoin('villages as carriedVillage', 'carriedVillage.id', 'carried.villageId')
                  .select(sql`1`.as('one'))
                  .where((c) => c.and([sql<SqlBool>`${c.ref('carried.id')} = any(${c.ref('pda.applicantIds')})`, inScope(c, scope, { countyId: 'carried.countyId', townId: 'carriedVillage.townId', villageId: 'carried.villageId' })])),
              ),
        ]),
      ]),
    )
  const [entries, count] = await Promise.all([
    base
      .select(ENTRY_COLUMNS)
      .select((eb) => [
        'applicants.name as applicantName',
        'villages.name as villageName',
        'towns.name as townName',
        eb.case().when('pda.kind', '=', 'reveal').then(linkedToApplicant(eb)).else(null).end().$castTo<boolean | null>().as('linked'),
      ])
      .orderBy('pda.at', 'desc')
      .orderBy('pda.id', 'desc')
      .limit(limit)
      .execute(),
    base.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ])
  return { entries, total: count.n }
}
