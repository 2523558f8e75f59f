import { restartClock } from '../case-deadlines.ts'
import { defineAction } from './action.ts'
import { note } from './fields.ts'

/** 恢复计时: the window restarts a stopped clock; the time left when it stopped counts again. */
export const resume = defineAction({
  name: 'resume',
  body: { type: 'object', properties: { note } },
  roles: ['clerk'],
  from: ['in_progress'],
  // A posting stops the clock; only closing the posting restarts it.
  guard: (flags) => flags.paused && !flags.postingOpen,
  plan: (c, input, { calendar, today }) => {
    const why = (input.note ?? '').trim()
    return { to: c.stage, ...restartClock(c, calendar, today, why), note: why }
  },
})
