import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Scope } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'
import type { Stage } from '../db/schema.ts'
import { RuleViolation } from '../errors/errors.ts'
import { OPEN_STAGES } from './case-rules.ts'
import { openIdNumber } from '../privacy/id-vault.ts'

export const CASE_COLUMNS = { countyId: 'cases.countyId', townId: 'cases.townId', villageId: 'cases.villageId', windowId: 'cases.windowId' } as const

/** A case the actor may see, with what its page needs; undefined outside scope (→ 404). */
export async function findCaseInScope(db: Db, scope: Scope, caseId: string) {
  const row = await db
    .selectFrom('cases')
    .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .innerJoin('matters', 'matters.id', 'cases.matterId')
    .innerJoin('villages', 'villages.id', 'cases.villageId')
    .innerJoin('towns', 'towns.id', 'cases.townId')
    .innerJoin('users as agent', 'agent.id', 'cases.agentId')
    .leftJoin('windows', 'windows.id', 'cases.windowId')
    .selectAll('cases')
    .select([
      'applicants.name as applicantName',
      'applicants.idNumberSealed as applicantIdNumberSealed',
      'applicants.phone as applicantPhone',
      'applicants.villageGroup as applicantGroup',
      'applicants.address as applicantAddress',
      'applicants.vulnerable as applicantVulnerable',
      'applicants.villageId as applicantVillageId',
      'matters.code as matterCode',
      'matterVersions.name as matterName',
      'matterVersions.version as matterVersion',
      'matterVersions.department',
      'matterVersions.caseType',
      'matterVersions.materials',
      'matterVersions.forwardLimit',
      'matterVersions.replyLimit',
      'matterVersions.promisedLimit',
      'matterVersions.statutoryLimit',
      'matterVersions.limitUnit',
      'matterVersions.silenceConsent',
      'matterVersions.postingRounds',
      'matterVersions.postingDays',
      'matterVersions.postingFields',
      'matterVersions.proxiable',
      'matterVersions.notProxiableReason',
      'villages.name as villageName',
      'villages.code as villageCode',
      'villages.stationPhone',
      'towns.name as townName',
      'agent.displayName as agentName',
      'agent.phone as agentPhone',
      'windows.name as windowName',
      'windows.department as windowDepartment',
    ])
    .where('cases.id', '=', caseId)
    .where((eb) => inScope(eb, scope, CASE_COLUMNS))
    .executeTakeFirst()
  if (!row) return undefined
  const { applicantIdNumberSealed, ...view } = row
  return { ...view, applicantIdNumber: openIdNumber(applicantIdNumberSealed) }
}
export type CaseView = NonNullable<Awaited<ReturnType<typeof findCaseInScope>>>

export function listCaseEvents(db: Db, caseId: string) {
  return db
    .selectFrom('caseEvents')
    .leftJoin('users', 'users.id', 'caseEvents.actorId')
    .select(['caseEvents.id', 'caseEvents.action', 'caseEvents.fromStage', 'caseEvents.toStage', 'caseEvents.note', 'caseEvents.data', 'caseEvents.at', 'caseEvents.actorRole', 'users.displayName as actorName'])
    .where('caseEvents.caseId', '=', caseId)
    .orderBy('caseEvents.id')
    .execute()
}

export function listAssists(db: Db, caseId: string) {
  return db.selectFrom('caseAssists').selectAll().where('caseId', '=', caseId).orderBy('id').execute()
}

/** The case's rating with its four indicators and comment: shown to the agent and supervisors, never to the window rated. */
export function findRating(db: Db, caseId: string) {
  return db
    .selectFrom('caseRatings')
    .select(['overall', 'efficiency', 'competence', 'attitude', 'satisfaction', 'comment', 'byDefault', 'recordedAt'])
    .where('caseId', '=', caseId)
    .executeTakeFirst()
}

export function listExtensions(db: Db, caseId: string) {
  return db.selectFrom('caseExtensions').selectAll().where('caseId', '=', caseId).orderBy('id').execute()
}

/** Open cases in scope with what a worklist row shows. */
/** The most a worklist shows, most urgent first: a county has tens of thousands of open cases. */
export const OPEN_LIST_LIMIT = 500

export function listOpenCases(db: Db, scope: Scope, filter: { stage?: Stage; villageId?: number; windowId?: number; matterId?: number; limit?: number } = {}) {
  let q = db
    .selectFrom('cases')
    .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .innerJoin('villages', 'villages.id', 'cases.villageId')
    .leftJoin('windows', 'windows.id', 'cases.windowId')
    .select([
      'cases.id', 'cases.caseNo', 'cases.stage', 'cases.version', 'cases.registeredOn', 'cases.acceptedOn', 'cases.forwardDue', 'cases.completeDue', 'cases.completedOn',
      'cases.replyDue', 'cases.pauses', 'cases.pausedSince', 'cases.serviceForm', 'cases.extensionToTell', 'cases.dueOn', 'cases.windowId', 'cases.villageId',
      'applicants.name as applicantName', 'matterVersions.name as matterName', 'matterVersions.caseType', 'matterVersions.forwardLimit', 'matterVersions.replyLimit',
      'matterVersions.promisedLimit', 'matterVersions.limitUnit', 'matterVersions.silenceConsent', 'villages.name as villageName', 'windows.name as windowName',
      sql<boolean>`exists (select 1 from case_assists a where a.case_id = cases.id and a.answer is null and a.withdrawn_at is null)`.as('openAssist'),
      // The open request's own deadline: the agent's "help asked" list counts down to the answer, not to completion.
      sql<string | null>`(select a.due_on::text from case_assists a where a.case_id = cases.id and a.answer is null and a.withdrawn_at is null order by a.id desc limit 1)`.as('assistDueOn'),
      sql<boolean>`exists (select 1 from case_extensions e where e.case_id = cases.id and e.status = 'pending')`.as('pendingExtension'),
    ])
    .where('cases.stage', 'in', OPEN_STAGES)
    .where((eb) => inScope(eb, scope, CASE_COLUMNS))
  if (filter.stage) q = q.where('cases.stage', '=', filter.stage)
  if (filter.villageId) q = q.where('cases.villageId', '=', filter.villageId)
  if (filter.windowId) q = q.where('cases.windowId', '=', filter.windowId)
  if (filter.matterId) q = q.where('cases.matterId', '=', filter.matterId)
  return q.orderBy('cases.dueOn', (ob) => ob.asc().nullsLast()).orderBy('cases.id').limit(filter.limit ?? OPEN_LIST_LIMIT).execute()
}
export type OpenCaseRow = Awaited<ReturnType<typeof listOpenCases>>[number]

/** An active window of the county, for a step that sends the case to it; anything else is refused at the field. */
export async function findActiveWindow(db: Db, countyId: number, windowId: number) {
  const window = await db.selectFrom('windows').select(['id', 'name', 'townId']).where('id', '=', windowId).where('countyId', '=', countyId).where('active', '=', true).executeTakeFirst()
  if (!window) throw new RuleViolation('validation.choose', 'windowId')
  return window
}

export function findPendingExtension(db: Db, caseId: string) {
  return db.selectFrom('caseExtensions').selectAll().where('caseId', '=', caseId).where('status', '=', 'pending').executeTakeFirstOrThrow()
}

/** The case's postings published so far (open or closed): the next one is round n + 1. */
export async function countPostings(db: Db, caseId: string): Promise<number> {
  const rows = await db.selectFrom('notices').select('id').where('caseId', '=', caseId).where('kind', '=', 'posting').where('status', '=', 'published').execute()
  return rows.length
}

export function findOpenPosting(db: Db, caseId: string) {
  return db.selectFrom('notices').select('id').where('caseId', '=', caseId).where('kind', '=', 'posting').where('status', '=', 'published').where('postingClosedOn', 'is', null).executeTakeFirstOrThrow()
}
