import type { Actor } from '../accounts/actor.ts'
import { scopeOf, type Scope } from '../accounts/actor.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import type { Calendar } from '../calendar/working-days.ts'
import type { Db } from '../db/connect.ts'
import type { Stage } from '../db/schema.ts'
import { NotFound, RuleViolation, Stale } from '../errors/errors.ts'
import { findMatterVersion } from '../matters/matters.repository.ts'
import { DEFAULT_CASE_SETTINGS, type CaseAction, type CaseSettings, type PlanContext } from './actions/action.ts'
import { actionNamed, type Action } from './actions/registry.ts'
import { appendEvent, systemActor } from './case-events.ts'
import { caseFlags } from './case-flags.ts'
import { findCaseInScope } from './cases.repository.ts'
import { runEffect, type RecipientMemo } from './effects.ts'

/** The nightly jobs act as the system of one county. */
export interface SystemActor {
  id: null
  role: 'system'
  countyId: number
}
export const systemOf = (countyId: number): SystemActor => ({ id: null, role: 'system', countyId })

export interface TransitionEnv {
  today: string
  now: Date
  calendar: Calendar
  settings: CaseSettings
  /** Recipients looked up once per job run (see effects.ts). */
  memo?: RecipientMemo
}

const scopeFor = (actor: Actor | SystemActor): Scope => (actor.role === 'system' ? { kind: 'county', countyId: actor.countyId } : scopeOf(actor))

/**
 * One step of a case, the only writer of case stages: inside the caller's transaction it finds the
 * case in the actor's scope, locks its row, checks the version the form saw (null: the system acts
 * on the case as it is), asks the state machine whether the step is allowed, plans it, writes the
 * row, the step's records and texts, and one event on the station's hash chain.
 */
export async function applyTransition(
  trx: Db,
  actor: Actor | SystemActor,
  caseId: string,
  version: number | null,
  action: CaseAction,
  input: Record<string, unknown>,
  env: TransitionEnv,
): Promise<{ stage: Stage }> {
  const found = await findCaseInScope(trx, scopeFor(actor), caseId)
  if (!found) throw new NotFound()
  // Lock the row: concurrent steps on one case queue here, then see the version the first one wrote.
  const locked = await trx.selectFrom('cases').select(['version', 'stage']).where('id', '=', caseId).forUpdate().executeTakeFirstOrThrow()
  if (version !== null && locked.version !== version) throw new Stale()
  const c = { ...found, version: locked.version, stage: locked.stage }
  const flags = await caseFlags(trx, c, env.today)
  if (!action.allows(c.stage, actor.role, flags)) throw new RuleViolation('cases.actionNotAllowed')
  const mv = await findMatterVersion(trx, c.matterVersionId)
  if (!mv) throw new NotFound()
  const ctx: PlanContext = { actor, today: env.today, now: env.now, calendar: env.calendar, settings: env.settings, mv, flags }
  const plan = await action.prepare(trx, c, input, ctx)
  if (plan.touchesCase !== false) {
    const result = await trx
      .updateTable('cases')
      .set({ ...plan.set, stage: plan.to, version: c.version + 1, updatedAt: env.now })
      .where('id', '=', caseId)
      .where('version', '=', c.version)
      .executeTakeFirst()
    if (result.numUpdatedRows !== 1n) throw new Stale()
  }
  const memo = env.memo ?? new Map()
  for (const effect of plan.effects ?? []) await runEffect(trx, c, effect, ctx, memo)
  const eventActor = actor.role === 'system' ? systemActor(actor.countyId) : actor
  await appendEvent(trx, eventActor, { id: caseId, villageId: c.villageId }, plan.event ?? action.name, c.stage, plan.to, plan.note ?? '', plan.data ?? {}, env.now)
  return { stage: plan.to }
}

/**
 * A user's step from a form (受理后的每一步), in a transaction of its own: the routes, the demo's
 * history and the tests take steps through here.
 */
export async function performAction(
  db: Db,
  actor: Actor,
  caseId: string,
  action: Action,
  expectedVersion: number,
  input: Record<string, unknown>,
  today: string,
  now: Date,
  settings: CaseSettings = DEFAULT_CASE_SETTINGS,
): Promise<{ stage: Stage }> {
  const calendar = await loadCalendar(db, actor.countyId)
  return db.transaction().execute((trx) => applyTransition(trx, actor, caseId, expectedVersion, actionNamed(action), input, { today, now, calendar, settings }))
}

/** A step's form as posted (text and lists); each action's schema types and checks it. */
export type ActionInput = Record<string, unknown>
