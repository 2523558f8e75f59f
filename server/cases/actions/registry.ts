import type { JSONSchema } from 'json-schema-to-ts'
import type { Stage } from '../../db/schema.ts'
import { NO_FLAGS, type CaseFlags } from '../case-rules.ts'
import type { ActorRole, CaseAction } from './action.ts'
import { accept } from './accept.ts'
import { answerAssist } from './answer-assist.ts'
import { askAssist } from './ask-assist.ts'
import { closePosting } from './close-posting.ts'
import { closeUnrated } from './close-unrated.ts'
import { complete } from './complete.ts'
import { deadlineAlert } from './deadline-alert.ts'
import { decideExtension } from './decide-extension.ts'
import { deemedApproval } from './deemed-approval.ts'
import { followUp } from './follow-up.ts'
import { forward } from './forward.ts'
import { pause } from './pause.ts'
import { receive } from './receive.ts'
import { rate } from './rate.ts'
import { recordDeemed } from './record-deemed.ts'
import { recordObjection } from './record-objection.ts'
import { recomputeDue } from './recompute-due.ts'
import { reject } from './reject.ts'
import { reply } from './reply.ts'
import { requestExtension } from './request-extension.ts'
import { resolveObjection } from './resolve-objection.ts'
import { resume } from './resume.ts'
import { startPosting } from './start-posting.ts'
import { supplement } from './supplement.ts'
import { tellExtension } from './tell-extension.ts'
import { transfer } from './transfer.ts'
import { withdraw } from './withdraw.ts'

/**
 * The life of a case as a table: each row an action (its file says from which stages, for which
 * roles, on which facts). In this order the case page offers them. Users take these; the nightly
 * jobs take the system's below.
 */
export const USER_ACTIONS = [
  accept, supplement, reject, forward, receive, transfer, askAssist, answerAssist, requestExtension, decideExtension, tellExtension,
  pause, resume, complete, recordDeemed, reply, rate, followUp, withdraw, startPosting, recordObjection, resolveObjection, closePosting,
] as const
export const SYSTEM_ACTIONS = [deemedApproval, closeUnrated, deadlineAlert, recomputeDue] as const

export type Action = (typeof USER_ACTIONS)[number]['name']
export type SystemAction = (typeof SYSTEM_ACTIONS)[number]['name']
export const ACTIONS: readonly Action[] = USER_ACTIONS.map((a) => a.name)

const BY_NAME = new Map<string, CaseAction>([...USER_ACTIONS, ...SYSTEM_ACTIONS].map((a) => [a.name, a]))

export function actionNamed(name: Action | SystemAction): CaseAction {
  const action = BY_NAME.get(name)
  if (!action) throw new Error(`no case action ${name}`)
  return action
}

export function isAllowed(action: Action, stage: Stage, role: ActorRole, flags: CaseFlags = NO_FLAGS): boolean {
  return actionNamed(action).allows(stage, role, flags)
}

/** The steps the case page offers to this role now, in the table's order. */
export function allowedActions(stage: Stage, role: ActorRole, flags: CaseFlags = NO_FLAGS): Action[] {
  return USER_ACTIONS.filter((a) => a.allows(stage, role, flags)).map((a) => a.name)
}

/**
 * The fields of every step's form as the case route receives them: text (or a list of texts)
 * within each field's length, before the step's own schema types and checks them. Declared once
 * here so the route, its body cap and the security tests see every field a step may send.
 */
function stepFormFields() {
  const fields: Record<string, { type: 'string'; maxLength: number } | { type: 'array'; maxItems: number; items: { type: 'string'; maxLength: number } }> = {}
  for (const action of USER_ACTIONS) {
    const properties: Readonly<Record<string, JSONSchema>> = action.body.properties
    for (const [name, field] of Object.entries(properties)) {
      if (typeof field !== 'object') continue
      fields[name] = field.type === 'array' ? { type: 'array', maxItems: 40, items: { type: 'string', maxLength: 100 } } : { type: 'string', maxLength: field.maxLength ?? 20 }
    }
  }
  return fields
}
export const STEP_FORM_FIELDS = stepFormFields()
