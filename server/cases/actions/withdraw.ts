import { defineAction } from './action.ts'
import { reason } from './fields.ts'

/** 撤回: the applicant withdraws the request at any open stage before completion. */
export const withdraw = defineAction({
  name: 'withdraw',
  body: { type: 'object', required: ['reason'], properties: { reason } },
  roles: ['agent'],
  from: ['registered', 'awaiting_materials', 'accepted', 'forwarded', 'in_progress'],
  plan: (_c, input) => {
    const why = input.reason.trim()
    return { to: 'withdrawn', set: { outcomeReason: why, dueOn: null, dueLimit: null, pausedSince: null }, note: why }
  },
})
