import { defineAction } from './action.ts'
import { requiredNote } from './fields.ts'

/** 答复协办: the agent answers the window's open request for help. */
export const answerAssist = defineAction({
  name: 'answer_assist',
  body: { type: 'object', required: ['answer'], properties: { answer: requiredNote } },
  roles: ['agent'],
  from: ['in_progress'],
  guard: (flags) => flags.openAssist,
  plan: (c, input) => {
    const answer = input.answer.trim()
    return {
      to: c.stage,
      set: {},
      note: answer,
      effects: [
        { kind: 'answerAssist', answer },
        { kind: 'notify', to: ['window'], message: 'assist.answered', params: { caseNo: c.caseNo, dueOn: c.completeDue } },
      ],
    }
  },
})
