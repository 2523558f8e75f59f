import { restartClock } from '../case-deadlines.ts'
import { defineAction } from './action.ts'

/** 公示结束: the period is over with no objection open; the posting comes off and the clock restarts. */
export const closePosting = defineAction({
  name: 'close_posting',
  body: { type: 'object', properties: {} },
  roles: ['agent'],
  from: ['forwarded', 'in_progress'],
  guard: (flags) => flags.postingOpen && flags.postingPeriodOver && !flags.objectionOpen,
  plan: (c, _input, { calendar, today }) => {
    const restarted = c.pausedSince ? restartClock(c, calendar, today, 'posting') : { set: {}, data: {} }
    return { to: c.stage, set: restarted.set, data: restarted.data, effects: [{ kind: 'closePosting' }] }
  },
})
