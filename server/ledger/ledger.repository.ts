
import { openIdNumber } from '../privacy/id-vault.ts'
import type { Db } from '../db/connect.ts'
import type { Scope } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'
import { CASE_COLUMNS } from '../cases/cases.repository.ts'
import { OPEN_STAGES } from '../cases/case-rules.ts'
import type { Rating, Stage } from '../db/schema.ts'

export interface LedgerFilter {
  from?: string
  to?: string
  villageId?: number
  matterId?: number
  agentId?: number
  stage?: Stage
  rating?: Rating
  overdue?: boolean
  today: string
}

/** 台账: one row per case in scope, newest first, a page of `limit` after the keyset `beforeId`. */
export function ledgerQuery(db: Db, scope: Scope, f: LedgerFilter) {
  let q = db
    .selectFrom('cases')
    .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .innerJoin('users as agent', 'agent.id', 'cases.agentId')
    .innerJoin('villages', 'villages.id', 'cases.villageId')
    .select([
      'cases.id', 'cases.caseNo', 'cases.stage', 'cases.serviceForm', 'cases.registeredOn', 'cases.acceptedOn', 'cases.forwardedOn', 'cases.completedOn', 'cases.repliedOn',
      'cases.outcome', 'cases.rating', 'cases.dueOn', 'applicants.name as applicantName', 'applicants.idNumberSealed as applicantIdNumberSealed', 'applicants.phone as applicantPhone', 'matterVersions.name as matterName',
      'agent.displayName as agentName', 'villages.name as villageName',
    ])
    .where((eb) => inScope(eb, scope, CASE_COLUMNS))
  if (f.from) q = q.where('cases.registeredOn', '>=', f.from)
  if (f.to) q = q.where('cases.registeredOn', '<=', f.to)
  if (f.villageId) q = q.where('cases.villageId', '=', f.villageId)
  if (f.matterId) q = q.where('cases.matterId', '=', f.matterId)
  if (f.agentId) q = q.where('cases.agentId', '=', f.agentId)
  if (f.stage) q = q.where('cases.stage', '=', f.stage)
  if (f.rating) q = q.where('cases.rating', '=', f.rating)
  if (f.overdue) q = q.where('cases.stage', 'in', OPEN_STAGES).where('cases.dueOn', '<', f.today)
  return q
}

export async function ledgerPage(db: Db, scope: Scope, f: LedgerFilter, beforeId: string | null, limit: number) {
  let q = ledgerQuery(db, scope, f)
  if (beforeId) q = q.where('cases.id', '<', beforeId)
  const rows = await q.orderBy('cases.id', 'desc').limit(limit).execute()
  // Opened here, for the page and the exports alike; the query itself only carries the sealed value.
  return rows.map(({ applicantIdNumberSealed, ...row }) => ({ ...row, applicantIdNumber: openIdNumber(applicantIdNumberSealed) }))
}
export type LedgerRow = Awaited<ReturnType<typeof ledgerPage>>[number]

/** Every matching row, fetched in keyset batches so an export of 100,000 rows never sits in memory. */
export async function* ledgerRows(db: Db, scope: Scope, f: LedgerFilter, batch = 2000): AsyncGenerator<LedgerRow> {
  let before: string | null = null
  for (;;) {
    const rows = await ledgerPage(db, scope, f, before, batch)
    for (const row of rows) yield row
    if (rows.length < batch) return
    before = rows[rows.length - 1].id
  }
}

