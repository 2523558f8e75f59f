import { defineAction } from './action.ts'
import { accept } from './accept.ts'

/** 补齐材料: the missing materials arrived; the same decision as acceptance, from the waiting stage. */
export const supplement = defineAction({ ...accept, name: 'supplement', from: ['awaiting_materials'] })
