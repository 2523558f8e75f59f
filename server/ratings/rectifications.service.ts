import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import type { Rating, RectificationStatus } from '../db/schema.ts'
import { NotFound, RuleViolation, Forbidden } from '../errors/errors.ts'
import type { Calendar } from '../calendar/working-days.ts'
import { computeDueDate } from '../calendar/working-days.ts'
import { notify, supervisorIdsOf } from '../notifications/notifications.service.ts'
import { isBadRating } from './satisfaction.ts'

/**
 * A 不满意 or 非常不满意 rating opens a rectification for the unit that handled the case: the window
 * when it was forwarded, otherwise the station; due in RECTIFICATION_DAYS working days (default 10). Called inside the rating's transaction.
 */
export async function openRectification(
  trx: Db,
  c: { id: string; countyId: number; townId: number; villageId: number; windowId: number | null; forwardedOn: string | null },
  rating: Rating,
  comment: string,
  calendar: Calendar,
  today: string,
  days: number,
): Promise<void> {
  if (!isBadRating(rating)) return
  const dueOn = computeDueDate(calendar, today, days).due
  const unit = c.forwardedOn && c.windowId ? { windowId: c.windowId, villageId: null } : { windowId: null, villageId: c.villageId }
  const { id } = await trx
    .insertInto('rectifications')
    .values({ countyId: c.countyId, townId: c.townId, caseId: c.id, ...unit, rating, comment, dueOn, status: 'open' })
    .returning('id')
    .executeTakeFirstOrThrow()
  await trx.insertInto('rectificationEvents').values({ rectificationId: id, actorId: null, action: 'open', fromStatus: null, toStatus: 'open' }).execute()
  const staff = [...(await unitStaffIds(trx, { ...unit, countyId: c.countyId })), ...(await supervisorIdsOf(trx, c.countyId, c.townId))]
  await notify(trx, staff, { countyId: c.countyId, kind: 'rectification.opened', caseId: null, params: { id, dueOn } })
}

/** The unit's own staff: the window's clerks, or the station's agents. */
async function unitStaffIds(trx: Db, unit: { countyId: number; windowId: number | null; villageId: number | null }): Promise<number[]> {
  const rows = await trx
    .selectFrom('users')
    .select('id')
    .where('disabled', '=', false)
    .where('countyId', '=', unit.countyId)
    .where((eb) => (unit.windowId ? eb('windowId', '=', unit.windowId) : eb('villageId', '=', unit.villageId)))
    .execute()
  return rows.map((u) => u.id)
}

/**
 * Who hears of a rectification's step, and what: the supervisors review what the unit sends; the
 * unit hears each ruling, with what is still expected of it and by when.
 */
const STEP_MESSAGES: Partial<Record<RectificationStatus, { to: 'unit' | 'supervisors'; kind: string }>> = {
  submitted: { to: 'supervisors', kind: 'rectification.submitted' },
  appealed: { to: 'supervisors', kind: 'rectification.appealed' },
  accepted: { to: 'unit', kind: 'rectification.accepted' },
  returned: { to: 'unit', kind: 'rectification.returned' },
  appeal_upheld: { to: 'unit', kind: 'rectification.appealUpheld' },
  open: { to: 'unit', kind: 'rectification.appealRefused' },
}

/** Is the actor one of the unit's staff? They see the rectification, never who rated. */
export function isUnitStaff(actor: Actor, r: { windowId: number | null; villageId: number | null }): boolean {
  return (actor.role === 'clerk' && r.windowId !== null && actor.windowId === r.windowId) || (actor.role === 'agent' && r.villageId !== null && actor.villageId === r.villageId)
}

export function isUnitSupervisor(actor: Actor, r: { countyId: number; townId: number }): boolean {
  return actor.role === 'supervisor' && actor.countyId === r.countyId && (actor.townId === null || actor.townId === r.townId)
}

type Step =
  | { action: 'submit'; callback: string; fixed: string; reply: string }
  | { action: 'decide'; decision: 'accepted' | 'returned'; note: string }
  | { action: 'appeal'; reason: string }
  | { action: 'decide_appeal'; decision: 'appeal_upheld' | 'open'; note: string }

const FROM: Record<Step['action'], RectificationStatus[]> = {
  submit: ['open', 'returned'],
  decide: ['submitted'],
  appeal: ['open', 'returned'],
  decide_appeal: ['appealed'],
}

/** One step of a rectification: the unit submits or appeals; the supervisor accepts, returns or rules on the appeal. */
export async function stepRectification(db: Db, actor: Actor, id: number, step: Step, now: Date): Promise<RectificationStatus> {
  return db.transaction().execute(async (trx) => {
    const r = await trx.selectFrom('rectifications').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
    if (!r || !(isUnitStaff(actor, r) || isUnitSupervisor(actor, r))) throw new NotFound()
    const byUnit = step.action === 'submit' || step.action === 'appeal'
    if (byUnit ? !isUnitStaff(actor, r) : !isUnitSupervisor(actor, r)) throw new Forbidden()
    if (!FROM[step.action].includes(r.status)) throw new RuleViolation('rectifications.notNow')
    let to: RectificationStatus
    let note = ''
    const set: Record<string, unknown> = {}
    switch (step.action) {
      case 'submit':
        for (const [field, value] of Object.entries({ callback: step.callback, fixed: step.fixed, reply: step.reply })) {
          if (!value.trim()) throw new RuleViolation('validation.required', field)
          set[field] = value.trim()
        }
        to = 'submitted'
        break
      case 'decide':
        if (step.decision === 'returned' && !step.note.trim()) throw new RuleViolation('rectifications.returnNote', 'note')
        to = step.decision
        note = step.note.trim()
        set.decisionNote = note
        break
      case 'appeal':
        if (!step.reason.trim()) throw new RuleViolation('validation.required', 'reason')
        to = 'appealed'
        note = step.reason.trim()
        set.appealReason = note
        break
      case 'decide_appeal':
        to = step.decision
        note = step.note.trim()
        set.decisionNote = note
        break
    }
    await trx.updateTable('rectifications').set({ ...set, status: to, updatedAt: now }).where('id', '=', id).execute()
    await trx.insertInto('rectificationEvents').values({ rectificationId: id, actorId: actor.id, action: step.action, fromStatus: r.status, toStatus: to, note, at: now }).execute()
    const message = STEP_MESSAGES[to]
    if (message) {
      const recipients = message.to === 'unit' ? await unitStaffIds(trx, r) : await supervisorIdsOf(trx, r.countyId, r.townId)
      await notify(trx, recipients, { countyId: r.countyId, kind: message.kind, caseId: null, params: { id, dueOn: r.dueOn, note } })
    }
    return to
  })
}
