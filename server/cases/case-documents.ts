import type { Db } from '../db/connect.ts'
import { maskName, maskPhone } from '../privacy/mask.ts'
import type { CaseView } from './cases.repository.ts'
import type { Translate } from '../i18n/i18n.ts'
import { windowLabel } from '../org/window-label.ts'

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

/**
 * A window as paper names it: always with its town (or the county centre), since every town has a
 * 民政窗口 and a slip or a notice travels beyond the town. The window is looked up here, not taken
 * from the case page's query, which names the window alone.
 */
async function windowOnPaper(db: Db, t: Translate, windowId: number | null | undefined): Promise<string | null> {
  if (!windowId) return null
  const w = await db.selectFrom('windows').leftJoin('towns', 'towns.id', 'windows.townId').select(['windows.name', 'windows.townId', 'towns.name as townName']).where('windows.id', '=', windowId).executeTakeFirst()
  return w ? windowLabel(t, w) : null
}

/**
 * The completion reply (办结回复单) is handed to the villager and taken home: it is built from a
 * list of what the villager may read, not from the staff's view of the case, so nothing internal can
 * reach it by a template edit — no staff or event notes, no deadlines the staff work to (the reply
 * due date), no internal ids or versions, no full name, phone or ID number. The result explanation
 * is the one the window writes for the applicant (required when the request is not granted).
 */
function replySlipModel(c: CaseView, windowName: string | null, today: string) {
  return {
    caseNo: c.caseNo,
    matterName: c.matterName,
    applicantMasked: maskName(c.applicantName),
    completedOn: c.completedOn,
    outcome: c.outcome,
    outcomeReason: c.outcomeReason,
    deemedApproved: c.deemedApproved,
    handback: c.handback,
    windowName,
    agentName: c.agentName,
    agentPhone: c.agentPhone,
    stationPhone: c.stationPhone,
    date: today,
  }
}

/** The view model of one document; personal data appears masked on paper that leaves the station. */
export async function documentModel(db: Db, c: CaseView, doc: CaseDocument, today: string, t: Translate) {
  const windowName = await windowOnPaper(db, t, c.windowId)
  if (doc === 'completion-reply') return replySlipModel(c, windowName, today)
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
    windowName,
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
      const data = (event?.data ?? {}) as { method?: string; materialsSent?: string[]; windowId?: number; windowName?: string }
      // The window it was sent to then (a later transfer moves the case, not the slip).
      return { ...base, method: data.method ?? 'paper', materialsSent: data.materialsSent ?? [], windowName: (await windowOnPaper(db, t, data.windowId)) ?? data.windowName ?? windowName }
    }
    case 'extension-notice': {
      const ext = await db.selectFrom('caseExtensions').selectAll().where('caseId', '=', c.id).where('status', '=', 'approved').orderBy('id', 'desc').executeTakeFirst()
      return { ...base, oldDue: ext?.oldDue, newDue: ext?.newDue, reason: ext?.reason }
    }
    default:
      return base
  }
}
