import type { Db } from '../db/connect.ts'
import { maskName, maskPhone } from '../privacy/mask.ts'
import type { CaseView } from './cases.repository.ts'

/** The papers a station hands out or files for a case, and when each exists. */
export const CASE_DOCUMENTS = ['one-time-notice', 'acceptance-notice', 'supplement-notice', 'rejection-notice', 'forwarding-slip', 'extension-notice', 'completion-reply'] as const
export type CaseDocument = (typeof CASE_DOCUMENTS)[number]

export function documentsFor(c: Pick<CaseView, 'stage' | 'acceptedOn' | 'forwardedOn' | 'completedOn'>, hasApprovedExtension: boolean): CaseDocument[] {
  const docs: CaseDocument[] = ['one-time-notice']
  if (c.stage === 'awaiting_materials' || c.stage === 'registered') docs.push('supplement-notice')
  if (c.acceptedOn) docs.push('acceptance-notice')
  if (c.stage === 'rejected') docs.push('rejection-notice')
  if (c.forwardedOn) docs.push('forwarding-slip')
  if (hasApprovedExtension) docs.push('extension-notice')
  if (c.completedOn) docs.push('completion-reply')
  return docs
}

/** The view model of one document; personal data appears masked on paper that leaves the station. */
export async function documentModel(db: Db, c: CaseView, doc: CaseDocument, today: string) {
  const received = new Set(c.materialsReceived)
  const base = {
    caseNo: c.caseNo,
    matterName: c.matterName,
    applicantMasked: maskName(c.applicantName),
    phoneMasked: maskPhone(c.applicantPhone),
    applicantGroup: c.applicantGroup,
    villageName: c.villageName,
    agentName: c.agentName,
    agentPhone: c.agentPhone,
    stationPhone: c.stationPhone,
    acceptedOn: c.acceptedOn,
    completeDue: c.completeDue,
    forwardedOn: c.forwardedOn,
    completedOn: c.completedOn,
    replyDue: c.replyDue,
    promisedLimit: c.promisedLimit,
    limitUnit: c.limitUnit,
    serviceForm: c.serviceForm,
    outcome: c.outcome,
    outcomeReason: c.outcomeReason,
    deemedApproved: c.deemedApproved,
    handback: c.handback,
    windowName: c.windowName,
    date: today,
    materials: c.materials.map((m) => ({ ...m, received: received.has(m.name) })),
    missing: c.materials.filter((m) => m.required && !received.has(m.name)).map((m) => m.name),
  }
  switch (doc) {
    case 'rejection-notice': {
      const event = await db.selectFrom('caseEvents').select(['note', 'data']).where('caseId', '=', c.id).where('toStage', '=', 'rejected').orderBy('id', 'desc').executeTakeFirst()
      const redirectTo = (event?.data as { redirectTo?: string } | undefined)?.redirectTo ?? ''
      return { ...base, reason: event?.note || c.outcomeReason || c.notProxiableReason, redirectTo }
    }
    case 'forwarding-slip': {
      const event = await db.selectFrom('caseEvents').select('data').where('caseId', '=', c.id).where('action', '=', 'forward').orderBy('id', 'desc').executeTakeFirst()
      const data = (event?.data ?? {}) as { method?: string; materialsSent?: string[]; windowName?: string }
      return { ...base, method: data.method ?? 'paper', materialsSent: data.materialsSent ?? [], windowName: data.windowName ?? c.windowName }
    }
    case 'extension-notice': {
      const ext = await db.selectFrom('caseExtensions').selectAll().where('caseId', '=', c.id).where('status', '=', 'approved').orderBy('id', 'desc').executeTakeFirst()
      return { ...base, oldDue: ext?.oldDue, newDue: ext?.newDue, reason: ext?.reason }
    }
    default:
      return base
  }
}
