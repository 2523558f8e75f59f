import { Ajv, type ErrorObject } from 'ajv'
import type { FromSchema, JSONSchema } from 'json-schema-to-ts'
import type { Updateable } from 'kysely'
import type { Calendar } from '../../calendar/working-days.ts'
import type { Db } from '../../db/connect.ts'
import type { CasesTable, MatterVersion, Rating, Role, Stage } from '../../db/schema.ts'
import { AJV_OPTIONS } from '../../views/forms.ts'
import type { CaseFlags } from '../case-rules.ts'
import type { CaseView } from '../cases.repository.ts'

/**
 * A case action: one file under server/cases/actions/ holds its form's schema, who may take it
 * from which stage (the state machine's row), the facts it needs from the database, and a pure
 * plan of what it changes. applyTransition (../transition.ts) does the writing.
 */

/** Who takes a step: a signed-in user, or the system (the nightly jobs). */
export type ActorRole = Role | 'system'
export interface TransitionActor {
  id: number | null
  role: ActorRole
  countyId: number
}

export interface CaseSettings {
  rectificationDays: number
}
export const DEFAULT_CASE_SETTINGS: CaseSettings = { rectificationDays: 10 }

export interface PlanContext {
  actor: TransitionActor
  today: string
  now: Date
  calendar: Calendar
  settings: CaseSettings
  mv: MatterVersion
  flags: CaseFlags
}

export interface RatingInput {
  overall: Rating
  efficiency: number
  competence: number
  attitude: number
  satisfaction: number
  comment: string
}

/** Who an in-app message goes to: the case's agent, the staff of its window, or its supervisors. */
export type Recipients = 'agent' | 'window' | 'supervisors'

/** What a step writes besides the case row and its event; ../effects.ts writes each kind. */
export type Effect =
  | { kind: 'askAssist'; question: string; dueOn: string }
  | { kind: 'answerAssist'; answer: string }
  | { kind: 'withdrawAssist' }
  | { kind: 'requestExtension'; reason: string; oldDue: string; newDue: string }
  | { kind: 'decideExtension'; extensionId: number; status: 'approved' | 'refused'; note: string }
  | { kind: 'publishPosting'; title: string; content: Record<string, unknown>; round: number; shownFrom: string; shownTo: string }
  | { kind: 'recordObjection'; noticeId: string; content: string }
  | { kind: 'resolveObjection'; outcome: string }
  | { kind: 'closePosting' }
  | { kind: 'recordRating'; rating: RatingInput; byDefault: boolean }
  | { kind: 'openRectification'; rating: Rating; comment: string }
  | { kind: 'recordAlert'; dueKind: string; dueOn: string; level: 'due_soon' | 'overdue' | 'very_overdue' }
  | { kind: 'text'; template: 'extension' | 'result-ready' | 'posting'; params: Record<string, unknown> }
  /** An in-app message; `windowId` names the window a step sends the case to (the row still holds the old one). */
  | { kind: 'notify'; to: readonly Recipients[]; message: string; params: Record<string, unknown>; windowId?: number }

export interface Plan {
  /** The stage after the step (the same stage for steps that do not move the case). */
  to: Stage
  set: Updateable<CasesTable>
  note?: string
  data?: Record<string, unknown>
  /** The event's name when it is not the action's own (the sweep writes the level it found). */
  event?: string
  effects?: Effect[]
  /** False for a step that only records (an alert): the case's version stays, so open forms stay valid. */
  touchesCase?: boolean
}

export interface ActionDefinition<N extends string, S extends JSONSchema, I, F> {
  name: N
  /** The step's form: its fields, with ids as integers and required text as required. */
  body: S
  roles: readonly ActorRole[]
  from: readonly Stage[]
  /** Conditions beyond stage and role, on facts of the case. */
  guard?: (flags: CaseFlags, role: ActorRole, stage: Stage) => boolean
  /** Facts the plan needs from the database (the chosen window, the pending extension…). */
  load?: (trx: Db, c: CaseView, input: I, ctx: PlanContext) => Promise<F>
  plan: (c: CaseView, input: I, ctx: PlanContext, facts: F) => Plan
}

/** A form's fields failed the step's schema; the route shows ajv's errors beside the fields. */
export class StepInputInvalid extends Error {
  readonly statusCode = 400
  constructor(readonly errors: ErrorObject[]) {
    super('step input invalid')
    this.name = 'StepInputInvalid'
  }
}

/** A registered action, its input type erased: what the registry and applyTransition hold. */
export interface CaseAction {
  readonly name: string
  readonly body: JSONSchema
  readonly roles: readonly ActorRole[]
  readonly from: readonly Stage[]
  allows(stage: Stage, role: ActorRole, flags: CaseFlags): boolean
  /** Checks the input against the schema, loads the facts and plans; throws StepInputInvalid or RuleViolation. */
  prepare(trx: Db, c: CaseView, input: Record<string, unknown>, ctx: PlanContext): Promise<Plan>
}

// The same options as the routes' validator (coercion of form text, defaults, every error at once).
const ajv = new Ajv({ ...AJV_OPTIONS, strict: false })

/**
 * Browsers send an empty string for a blank field: for a number or a list that means "not given",
 * so the schema's default (or its absence) applies instead of a type error.
 */
function withoutBlanks(input: Record<string, unknown>, schema: JSONSchema): Record<string, unknown> {
  const properties = (typeof schema === 'object' && schema.properties) || {}
  const result: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    const field = properties[key]
    const isText = typeof field === 'object' && field.type === 'string'
    if (value === '' && !isText) continue
    result[key] = value
  }
  return result
}

/** The input type of a step is computed from its schema where the schema is written (FromSchema). */
export function defineAction<const N extends string, const S extends JSONSchema, F = undefined, I = FromSchema<S>>(
  definition: ActionDefinition<N, S, I, F>,
): ActionDefinition<N, S, I, F> & CaseAction {
  const validate = ajv.compile(definition.body)
  const isInput = (input: unknown): input is I => validate(input)
  return {
    ...definition,
    allows(stage, role, flags) {
      if (!definition.from.includes(stage) || !definition.roles.includes(role)) return false
      return definition.guard ? definition.guard(flags, role, stage) : true
    },
    async prepare(trx, c, raw, ctx) {
      const input = withoutBlanks(raw, definition.body)
      if (!isInput(input)) throw new StepInputInvalid(validate.errors ?? [])
      const facts = definition.load ? await definition.load(trx, c, input, ctx) : (undefined as F)
      return definition.plan(c, input, ctx, facts)
    },
  }
}
