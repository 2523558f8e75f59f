import { requiredText, text } from '../../views/forms.ts'
import { defineAction } from './action.ts'

/** 不予受理: the agent turns a request down (before acceptance), with the reason and where to go instead. */
export const reject = defineAction({
  name: 'reject',
  body: { type: 'object', required: ['reason'], properties: { reason: requiredText(500), redirectTo: text(200) } },
  roles: ['agent'],
  from: ['registered', 'awaiting_materials'],
  plan: (c, input) => {
    const reason = input.reason.trim()
    const redirectTo = (input.redirectTo ?? '').trim()
    return {
      to: 'rejected',
      set: { outcomeReason: redirectTo ? `${reason}（${redirectTo}）` : reason, dueOn: null, dueLimit: null },
      note: reason,
      data: { redirectTo },
    }
  },
})
