import { defineAction } from './action.ts'
import { reason } from './fields.ts'

/** 中止计时: the window stops the clock (an expert opinion, a hearing…); resume restarts it. */
export const pause = defineAction({
  name: 'pause',
  body: { type: 'object', required: ['reason'], properties: { reason } },
  roles: ['clerk'],
  from: ['in_progress'],
  guard: (flags) => !flags.paused,
  plan: (c, input, { today }) => {
    const why = input.reason.trim()
    return { to: c.stage, set: { pausedSince: today, dueOn: null }, note: why, data: { reason: why } }
  },
})
