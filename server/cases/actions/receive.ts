import { defineAction } from './action.ts'

/** 接收: the window takes the forwarded case into handling. */
export const receive = defineAction({
  name: 'receive',
  body: { type: 'object', properties: {} },
  roles: ['clerk'],
  from: ['forwarded'],
  plan: (c, _input, { today }) => ({ to: 'in_progress', set: { receivedOn: c.receivedOn ?? today } }),
})
