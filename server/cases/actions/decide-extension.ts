import { findPendingExtension } from '../cases.repository.ts'
import { defineAction } from './action.ts'
import { note } from './fields.ts'

/** 审批延期: a supervisor approves or refuses the pending extension; an approved one moves the due date and is texted. */
export const decideExtension = defineAction({
  name: 'decide_extension',
  body: {
    type: 'object',
    required: ['decision'],
    properties: { decision: { type: 'string', enum: ['approved', 'refused'], hint: 'validation.choose' }, note },
  },
  roles: ['supervisor'],
  from: ['in_progress'],
  guard: (flags) => flags.pendingExtension,
  load: (trx, c) => findPendingExtension(trx, c.id),
  plan: (c, input, _ctx, pending) => {
    const approved = input.decision === 'approved'
    const decisionNote = (input.note ?? '').trim()
    return {
      to: c.stage,
      set: approved ? { completeDue: pending.newDue, dueOn: c.pausedSince ? null : pending.newDue, extensionToTell: true } : {},
      note: decisionNote,
      data: { decision: input.decision, oldDue: pending.oldDue, newDue: pending.newDue },
      effects: [
        { kind: 'decideExtension', extensionId: pending.id, status: input.decision, note: decisionNote },
        ...(approved
          ? ([
              { kind: 'text', template: 'extension', params: { newDue: pending.newDue } },
              { kind: 'notify', to: ['window'], message: 'extension.approved', params: { caseNo: c.caseNo, newDue: pending.newDue } },
              { kind: 'notify', to: ['agent'], message: 'extension.tellApplicant', params: { caseNo: c.caseNo, newDue: pending.newDue } },
            ] as const)
          : ([{ kind: 'notify', to: ['window'], message: 'extension.refused', params: { caseNo: c.caseNo, oldDue: pending.oldDue, note: decisionNote } }] as const)),
      ],
    }
  },
})
