import { text } from '../../views/forms.ts'
import { findActiveWindow } from '../cases.repository.ts'
import { defineAction } from './action.ts'
import { materialList, note, windowChoice } from './fields.ts'

/** 转办: the agent sends an accepted case to a window of the town centre, online or on paper. */
export const forward = defineAction({
  name: 'forward',
  body: {
    type: 'object',
    required: ['windowId', 'method'],
    properties: { windowId: windowChoice, method: { type: 'string', enum: ['online', 'paper'], hint: 'validation.choose' }, materialsSent: materialList, note },
  },
  roles: ['agent'],
  from: ['accepted'],
  guard: (flags) => !flags.onTheSpot,
  load: (trx, _c, input, { actor }) => findActiveWindow(trx, actor.countyId, input.windowId),
  plan: (c, input, { mv, today }, window) => {
    const ticked = input.materialsSent ?? []
    const sent = mv.materials.map((m) => m.name).filter((name) => ticked.includes(name))
    return {
      to: 'forwarded',
      set: { windowId: window.id, forwardedOn: today, dueOn: c.completeDue, dueLimit: mv.promisedLimit },
      note: (input.note ?? '').trim(),
      data: { windowId: window.id, windowName: window.name, method: input.method, materialsSent: sent },
      effects: [{ kind: 'notify', to: ['window'], windowId: window.id, message: 'case.forwarded', params: { caseNo: c.caseNo, matter: c.matterName, dueOn: c.completeDue } }],
    }
  },
})
