import { RuleViolation } from '../../errors/errors.ts'
import { findActiveWindow } from '../cases.repository.ts'
import { defineAction } from './action.ts'
import { reason, windowChoice } from './fields.ts'

/** 移送: the window passes the case to another window (not while an extension awaits a decision). */
export const transfer = defineAction({
  name: 'transfer',
  body: { type: 'object', required: ['windowId', 'reason'], properties: { windowId: windowChoice, reason } },
  roles: ['clerk'],
  from: ['forwarded', 'in_progress'],
  guard: (flags) => !flags.pendingExtension,
  load: (trx, c, input, { actor }) => {
    if (input.windowId === c.windowId) throw new RuleViolation('cases.transferSameWindow', 'windowId')
    return findActiveWindow(trx, actor.countyId, input.windowId)
  },
  plan: (c, input, _ctx, window) => ({
    to: 'forwarded',
    set: { windowId: window.id },
    note: input.reason.trim(),
    data: { fromWindowId: c.windowId, toWindowId: window.id, windowName: window.name },
    effects: [
      { kind: 'notify', to: ['window'], windowId: window.id, message: 'case.transferred', params: { caseNo: c.caseNo, matter: c.matterName, from: c.windowName, reason: input.reason.trim(), dueOn: c.completeDue } },
      { kind: 'notify', to: ['agent'], message: 'case.transferredAgent', params: { caseNo: c.caseNo, window: window.name } },
    ],
  }),
})
