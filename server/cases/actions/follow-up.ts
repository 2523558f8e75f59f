import { defineAction } from './action.ts'
import { requiredNote } from './fields.ts'

/** 回访: the agent notes a follow-up with the applicant after the reply. */
export const followUp = defineAction({
  name: 'follow_up',
  body: { type: 'object', required: ['note'], properties: { note: requiredNote } },
  roles: ['agent'],
  from: ['replied', 'closed'],
  plan: (c, input) => ({ to: c.stage, set: {}, note: input.note.trim() }),
})
