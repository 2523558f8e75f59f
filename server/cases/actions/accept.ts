import { acceptanceColumns } from '../case-deadlines.ts'
import { missingMaterials } from '../case-rules.ts'
import { defineAction } from './action.ts'
import { materialList } from './fields.ts'

/**
 * 受理: the agent decides on a registered request. With every required material ticked the case
 * is accepted and its clocks start; otherwise it waits for the rest (一次性告知).
 */
export const accept = defineAction({
  name: 'accept',
  body: { type: 'object', properties: { materialsReceived: materialList } },
  roles: ['agent'],
  from: ['registered'],
  plan: (c, input, { mv, calendar, today, flags }) => {
    const ticked = input.materialsReceived ?? []
    const received = mv.materials.map((m) => m.name).filter((name) => ticked.includes(name))
    const missing = missingMaterials(mv, received)
    const data = { received, missing }
    if (missing.length > 0) return { to: 'awaiting_materials', set: { materialsReceived: JSON.stringify(received), dueOn: null, dueLimit: null }, data }
    return { to: 'accepted', set: { materialsReceived: JSON.stringify(received), ...acceptanceColumns(calendar, mv, today, flags.onTheSpot) }, data }
  },
})
