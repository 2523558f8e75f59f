import { SWEPT_STAGES, holderOf } from '../case-rules.ts'
import { defineAction, type Recipients } from './action.ts'

/**
 * By the deadline sweep: a stage due soon or late is written once per (deadline, level). The one
 * holding the case is told at due_soon and overdue; the supervisors at overdue and very_overdue.
 * It records without changing the case, so forms open on it stay valid.
 */
export const deadlineAlert = defineAction({
  name: 'deadline_alert',
  body: {
    type: 'object',
    required: ['level', 'dueKind', 'dueOn'],
    properties: {
      level: { type: 'string', enum: ['due_soon', 'overdue', 'very_overdue'] },
      dueKind: { type: 'string', enum: ['registration', 'forward', 'complete', 'reply'] },
      dueOn: { type: 'string', maxLength: 10 },
    },
  },
  roles: ['system'],
  from: SWEPT_STAGES,
  plan: (c, input) => {
    const to: Recipients[] = []
    if (input.level !== 'very_overdue') to.push(holderOf(c.stage) === 'window' ? 'window' : 'agent')
    if (input.level !== 'due_soon') to.push('supervisors')
    return {
      to: c.stage,
      set: {},
      touchesCase: false,
      event: input.level,
      data: { dueKind: input.dueKind, dueOn: input.dueOn },
      effects: [
        { kind: 'recordAlert', dueKind: input.dueKind, dueOn: input.dueOn, level: input.level },
        { kind: 'notify', to, message: `deadline.${input.level}`, params: { caseNo: c.caseNo, dueOn: input.dueOn, dueKind: input.dueKind } },
      ],
    }
  },
})
