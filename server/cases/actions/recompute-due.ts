import { dueKindOf, type PendingDueDates } from '../case-deadlines.ts'
import { holderOf, isOnTheSpot, SWEPT_STAGES } from '../case-rules.ts'
import { defineAction } from './action.ts'

const date = { type: ['string', 'null'], maxLength: 10 } as const
const DUE_KIND_OF_COLUMN = { forwardDue: 'forward', completeDue: 'complete', replyDue: 'reply' } as const

/**
 * After a change of the holiday schedule (national, or a county's own days): the pending due dates
 * that count differently now (movedDueDates, computed by the calendar service) are written, and
 * whoever holds the case hears of the deadline that runs now, or else of the one that moved.
 */
export const recomputeDue = defineAction({
  name: 'due_recomputed',
  body: { type: 'object', properties: { forwardDue: date, completeDue: date, replyDue: date, dueOn: date } },
  roles: ['admin', 'system'],
  from: SWEPT_STAGES,
  plan: (c, moved) => {
    const keys = (['forwardDue', 'completeDue', 'replyDue', 'dueOn'] as const).filter((k) => moved[k] !== undefined)
    const changes: Partial<PendingDueDates> = Object.fromEntries(keys.map((k) => [k, moved[k]]))
    const old = Object.fromEntries(keys.map((k) => [k, c[k]]))
    const column = 'dueOn' in changes ? null : keys.find((k) => k !== 'dueOn')
    const dueKind = column ? DUE_KIND_OF_COLUMN[column] : dueKindOf(c.stage, isOnTheSpot(c.caseType, c.serviceForm))
    const [oldDue, newDue] = column ? [c[column], changes[column]] : [c.dueOn, changes.dueOn]
    return {
      to: c.stage,
      set: changes,
      data: { old, new: changes },
      effects: [{ kind: 'notify', to: [holderOf(c.stage)], message: 'deadline.recomputed', params: { caseNo: c.caseNo, dueKind, oldDue, newDue } }],
    }
  },
})
