import { isValidDate } from '../../calendar/working-days.ts'
import { RuleViolation } from '../../errors/errors.ts'
import { defineAction } from './action.ts'
import { reason } from './fields.ts'

/** 申请延期: the window asks a supervisor for a later completion date, with its reason. */
export const requestExtension = defineAction({
  name: 'request_extension',
  body: {
    type: 'object',
    required: ['newDue', 'reason'],
    properties: { newDue: { type: 'string', maxLength: 10, hint: 'validation.date' }, reason },
  },
  roles: ['clerk'],
  from: ['in_progress'],
  guard: (flags) => !flags.pendingExtension && !flags.paused,
  plan: (c, input) => {
    const newDue = input.newDue.trim()
    if (!isValidDate(newDue)) throw new RuleViolation('validation.date', 'newDue')
    if (!c.completeDue || newDue <= c.completeDue) throw new RuleViolation('cases.extensionLater', 'newDue', { due: c.completeDue })
    const why = input.reason.trim()
    return { to: c.stage, set: {}, note: why, data: { oldDue: c.completeDue, newDue }, effects: [
        { kind: 'requestExtension', reason: why, oldDue: c.completeDue, newDue },
        { kind: 'notify', to: ['supervisors'], message: 'extension.requested', params: { caseNo: c.caseNo, window: c.windowName, oldDue: c.completeDue, newDue, reason: why } },
      ],
    }
  },
})
