import { addCalendarDays } from '../../calendar/working-days.ts'
import { RuleViolation } from '../../errors/errors.ts'
import { yuanToFen } from '../../fees/money.ts'
import { maskName } from '../../privacy/mask.ts'
import { requiredText, text } from '../../views/forms.ts'
import { countPostings } from '../cases.repository.ts'
import { defineAction } from './action.ts'

/**
 * 张榜公示: the case's posting goes on the village board with the masked name and only the fields
 * the matter's rule allows; the case clock stops while it runs.
 */
export const startPosting = defineAction({
  name: 'start_posting',
  body: {
    type: 'object',
    required: ['proposedResult'],
    properties: {
      proposedResult: requiredText(200),
      householdSize: { type: 'integer', minimum: 1, maximum: 30, hint: 'notices.householdSizeInvalid' },
      amount: text(12),
    },
  },
  roles: ['agent'],
  from: ['forwarded', 'in_progress'],
  guard: (flags) => flags.postingDue && !flags.postingOpen,
  load: (trx, c) => countPostings(trx, c.id),
  plan: (c, input, { mv, today }, postedBefore) => {
    const allowed = new Set(mv.postingFields)
    const proposedResult = input.proposedResult.trim()
    const content: Record<string, unknown> = { matter: mv.name, householdHead: maskName(c.applicantName), proposedResult }
    if (allowed.has('village_group')) content.villageGroup = c.applicantGroup
    if (allowed.has('household_size')) {
      if (input.householdSize === undefined) throw new RuleViolation('notices.householdSizeInvalid', 'householdSize')
      content.householdSize = input.householdSize
    }
    if (allowed.has('amount')) {
      const fen = yuanToFen((input.amount ?? '').trim())
      if (fen === null || fen === 0) throw new RuleViolation('validation.money', 'amount')
      content.amountFen = fen
    }
    const round = postedBefore + 1
    const shownTo = addCalendarDays(today, mv.postingDays - 1)
    return {
      to: c.stage,
      set: c.pausedSince ? {} : { pausedSince: today, dueOn: null },
      data: { round, shownFrom: today, shownTo },
      effects: [
        { kind: 'publishPosting', title: `${mv.name}公示（第${round}轮）`, content, round, shownFrom: today, shownTo },
        { kind: 'text', template: 'posting', params: { from: today, to: shownTo } },
      ],
    }
  },
})
