import { computeDueDate } from '../../calendar/working-days.ts'
import { defineAction } from './action.ts'
import { ASSIST_DAYS } from '../case-rules.ts'
import { requiredNote } from './fields.ts'

/** 请求协办: the window asks the station for help (a document, a visit), answered within a few working days. */
export const askAssist = defineAction({
  name: 'ask_assist',
  body: {
    type: 'object',
    required: ['question'],
    properties: { question: requiredNote, dueDays: { type: 'integer', minimum: 1, maximum: 20, default: ASSIST_DAYS, hint: 'cases.assistDays' } },
  },
  roles: ['clerk'],
  from: ['in_progress'],
  guard: (flags) => !flags.openAssist,
  plan: (c, input, { calendar, today }) => {
    const question = input.question.trim()
    const dueOn = computeDueDate(calendar, today, input.dueDays).due
    return { to: c.stage, set: {}, note: question, data: { dueOn }, effects: [
        { kind: 'askAssist', question, dueOn },
        { kind: 'notify', to: ['agent'], message: 'assist.asked', params: { caseNo: c.caseNo, window: c.windowName, question, dueOn } },
      ],
    }
  },
})
