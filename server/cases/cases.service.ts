import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import { scopeOf } from '../accounts/actor.ts'
import type { Case, PauseRecord, Stage, MatterVersion, Rating } from '../db/schema.ts'
import { NotFound, RuleViolation, Stale, Forbidden } from '../errors/errors.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { addCalendarDays, computeDueDate, isValidDate, workingDaysBetween, type Calendar } from '../calendar/working-days.ts'
import { findMatterVersion } from '../matters/matters.repository.ts'
import { normaliseIdNumber } from '../applicants/id-number.ts'
import { formatCaseNo, intakeStage, isAllowed, isOnTheSpot, type Action, type CaseFlags } from './case-rules.ts'
import { completeDue, dueAfterPause, forwardDue, replyDue, REGISTRATION_LIMIT } from './case-deadlines.ts'
import { findCaseInScope, type CaseView } from './cases.repository.ts'
import { appendEvent } from './case-events.ts'
import { maskName } from '../privacy/mask.ts'
import { openRectification } from '../ratings/rectifications.service.ts'
import { enqueueCaseSms } from '../sms/outbox.ts'
import { yuanToFen } from '../fees/money.ts'

export interface ApplicantInput {
  name: string
  idNumber: string
  phone: string
  villageGroup: string
  address: string
  vulnerable: 'none' | 'lonely_elderly' | 'sick_disabled' | 'five_guarantees'
}

export interface IntakeInput {
  idempotencyKey: string
  applicantId: number | null
  applicant: ApplicantInput
  matterId: number
  channel: Case['channel']
  serviceForm: Case['serviceForm']
  homeService: boolean
  materialsReceived: string[]
  decision: 'decide' | 'register' | 'reject'
  rejectReason: string
  summary: string
}

export interface IntakeResult {
  caseId: string
  caseNo: string
  stage: Stage
  duplicate: boolean
}

const isUniqueViolation = (e: unknown, constraint?: string) =>
  (e as { code?: string })?.code === '23505' && (!constraint || (e as { constraint?: string }).constraint === constraint)

/** The required materials not ticked as received: the one-time notice lists all of them at once. */
export function missingMaterials(mv: Pick<MatterVersion, 'materials'>, received: readonly string[]): string[] {
  return mv.materials.filter((m) => m.required && !received.includes(m.name)).map((m) => m.name)
}


/** Dates and due of a case that has just been accepted on `today`. */
function acceptanceColumns(calendar: Calendar, mv: MatterVersion, today: string, onTheSpot: boolean) {
  const complete = completeDue(calendar, today, mv)
  const forward = onTheSpot ? null : forwardDue(calendar, today, mv)
  return {
    acceptedOn: today,
    forwardDue: forward,
    completeDue: complete,
    dueOn: onTheSpot ? complete : forward,
    dueLimit: onTheSpot ? mv.promisedLimit : mv.forwardLimit,
  }
}

/**
 * Everything wrong with an intake form that can be told without the database, all at once, so
 * the agent sees every missing field on the first try rather than one per submission.
 */
export function intakeInputProblems(input: Pick<IntakeInput, 'applicantId' | 'applicant' | 'decision' | 'rejectReason'>): RuleViolation[] {
  const problems: RuleViolation[] = []
  if (!input.applicantId) {
    const a = input.applicant
    if (!a.name.trim()) problems.push(new RuleViolation('validation.required', 'name'))
    if (a.idNumber.trim()) {
      if (!normaliseIdNumber(a.idNumber)) problems.push(new RuleViolation('intake.idInvalid', 'idNumber'))
    } else if (input.decision !== 'register') {
      // Only a consultation (registered, no decision) may go without the ID number.
      problems.push(new RuleViolation('intake.idRequired', 'idNumber'))
    }
    if (!a.phone.trim()) problems.push(new RuleViolation('validation.required', 'phone'))
  }
  if (input.decision === 'reject' && !input.rejectReason.trim()) problems.push(new RuleViolation('intake.rejectReasonRequired', 'rejectReason'))
  return problems
}

/**
 * The applicant of an intake: an existing file of the agent's own village (the only files its
 * search and form offer; a file of another village would show that person's details on the new
 * case), or a new one. One ID number, one file.
 */
async function resolveApplicant(trx: Db, actor: Actor, input: IntakeInput): Promise<number> {
  if (input.applicantId) {
    const existing = await trx.selectFrom('applicants').select('id').where('id', '=', input.applicantId).where('villageId', '=', actor.villageId!).executeTakeFirst()
    if (!existing) throw new RuleViolation('intake.applicantMissing', 'applicantId')
    return existing.id
  }
  const a = input.applicant
  const idNumber = a.idNumber.trim() ? normaliseIdNumber(a.idNumber) : null
  if (idNumber) {
    const holder = await trx.selectFrom('applicants').select(['id', 'villageId']).where('countyId', '=', actor.countyId).where('idNumber', '=', idNumber).executeTakeFirst()
    if (holder) throw new RuleViolation('intake.idTaken', 'idNumber')
  }
  const { id } = await trx
    .insertInto('applicants')
    .values({
      countyId: actor.countyId,
      villageId: actor.villageId!,
      name: a.name.trim(),
      idNumber,
      phone: a.phone.trim(),
      villageGroup: a.villageGroup.trim(),
      address: a.address.trim(),
      vulnerable: a.vulnerable,
      createdBy: actor.id,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return id
}

/**
 * Intake at the station (受理): one transaction writes the applicant (if new), the case with a
 * gapless daily number, and its first event. A form posted twice (same idempotency key) creates one case.
 */
export async function intakeCase(db: Db, actor: Actor, input: IntakeInput, today: string, now: Date = new Date()): Promise<IntakeResult> {
  if (actor.role !== 'agent' || !actor.villageId) throw new Forbidden()
  const problems = RuleViolation.all(intakeInputProblems(input))
  if (problems) throw problems
  const existing = await db.selectFrom('cases').select(['id', 'caseNo', 'stage', 'villageId']).where('idempotencyKey', '=', input.idempotencyKey).executeTakeFirst()
  if (existing) {
    if (existing.villageId !== actor.villageId) throw new NotFound()
    return { caseId: existing.id, caseNo: existing.caseNo, stage: existing.stage, duplicate: true }
  }
  const calendar = await loadCalendar(db)
  try {
    return await db.transaction().execute(async (trx) => {
      const matter = await trx.selectFrom('matters').select(['id', 'currentVersion', 'active']).where('id', '=', input.matterId).where('countyId', '=', actor.countyId).executeTakeFirst()
      if (!matter || !matter.active) throw new RuleViolation('intake.matterMissing', 'matterId')
      const mv = await trx.selectFrom('matterVersions').selectAll().where('matterId', '=', matter.id).where('version', '=', matter.currentVersion).executeTakeFirstOrThrow()
      const applicantId = await resolveApplicant(trx, actor, input)
      const village = await trx.selectFrom('villages').select(['code', 'townId']).where('id', '=', actor.villageId!).executeTakeFirstOrThrow()

      const onTheSpot = isOnTheSpot(mv.caseType, input.serviceForm)
      const received = mv.materials.map((m) => m.name).filter((name) => input.materialsReceived.includes(name))
      const missing = missingMaterials(mv, received)
      let stage: Stage
      let rejectReason = ''
      if (!mv.proxiable) {
        stage = 'rejected'
        rejectReason = mv.notProxiableReason
      } else if (input.decision === 'reject') {
        stage = 'rejected'
        rejectReason = input.rejectReason.trim()
      } else {
        stage = intakeStage(missing.length, input.decision === 'register' ? 'register' : 'decide')
      }

      const { lastSeq } = await trx
        .insertInto('caseCounters')
        .values({ villageId: actor.villageId!, day: today, lastSeq: 1 })
        .onConflict((oc) => oc.columns(['villageId', 'day']).doUpdateSet({ lastSeq: sql`case_counters.last_seq + 1` }))
        .returning('lastSeq')
        .executeTakeFirstOrThrow()
      const caseNo = formatCaseNo(village.code, today, lastSeq)
      const accepted = stage === 'accepted' ? acceptanceColumns(calendar, mv, today, onTheSpot) : {}
      const registrationDue = stage === 'registered' ? { dueOn: computeDueDate(calendar, today, REGISTRATION_LIMIT).due, dueLimit: REGISTRATION_LIMIT } : {}
      const { id } = await trx
        .insertInto('cases')
        .values({
          countyId: actor.countyId,
          townId: village.townId,
          villageId: actor.villageId!,
          caseNo,
          idempotencyKey: input.idempotencyKey,
          applicantId,
          matterId: matter.id,
          matterVersionId: mv.id,
          channel: input.channel,
          serviceForm: input.serviceForm,
          homeService: input.homeService,
          stage,
          agentId: actor.id,
          materialsReceived: JSON.stringify(received),
          summary: input.summary.trim(),
          registeredOn: today,
          outcomeReason: rejectReason,
          ...accepted,
          ...registrationDue,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      await appendEvent(trx, actor, { id, villageId: actor.villageId! }, 'intake', null, stage, rejectReason || input.summary.trim(), {
        received,
        missing,
        channel: input.channel,
        serviceForm: input.serviceForm,
        homeService: input.homeService,
        matterVersion: mv.version,
      }, now)
      return { caseId: id, caseNo, stage, duplicate: false }
    })
  } catch (error) {
    // Two submissions of one form raced: the loser finds the winner's case.
    if (isUniqueViolation(error, 'cases_idempotency_key_key')) {
      const winner = await db.selectFrom('cases').select(['id', 'caseNo', 'stage']).where('idempotencyKey', '=', input.idempotencyKey).executeTakeFirstOrThrow()
      return { caseId: winner.id, caseNo: winner.caseNo, stage: winner.stage, duplicate: true }
    }
    // Two stations filed the same new person at once: the second is told the file exists.
    if (isUniqueViolation(error, 'applicants_county_id_number_key')) throw new RuleViolation('intake.idTaken', 'idNumber')
    throw error
  }
}

export interface PostingState {
  due: boolean
  open: boolean
  periodOver: boolean
  objectionOpen: boolean
}
const NO_POSTING: PostingState = { due: false, open: false, periodOver: false, objectionOpen: false }

/** Where the case's public posting stands: open, its period over, objections unresolved, rounds left. */
export async function postingState(db: Db, c: Pick<CaseView, 'id' | 'postingRounds'>, today: string): Promise<PostingState> {
  if (c.postingRounds === 0) return NO_POSTING
  const [postings, objection] = await Promise.all([
    db.selectFrom('notices').select(['shownTo', 'postingClosedOn']).where('caseId', '=', c.id).where('kind', '=', 'posting').where('status', '=', 'published').execute(),
    db.selectFrom('postingObjections').select('id').where('caseId', '=', c.id).where('outcome', 'is', null).executeTakeFirst(),
  ])
  const open = postings.find((p) => p.postingClosedOn === null)
  const closedRounds = postings.filter((p) => p.postingClosedOn !== null).length
  return { due: closedRounds < c.postingRounds, open: Boolean(open), periodOver: Boolean(open && open.shownTo && today > open.shownTo), objectionOpen: Boolean(objection) }
}

/** Flags of a loaded case, for the state machine. */
export async function caseFlags(db: Db, c: CaseView, calendar: Calendar, today: string): Promise<CaseFlags> {
  const [assist, extension, posting] = await Promise.all([
    db.selectFrom('caseAssists').select('id').where('caseId', '=', c.id).where('answer', 'is', null).executeTakeFirst(),
    db.selectFrom('caseExtensions').select('id').where('caseId', '=', c.id).where('status', '=', 'pending').executeTakeFirst(),
    postingState(db, c, today),
  ])
  return flagsOf(c, Boolean(assist), Boolean(extension), today, calendar, posting)
}

export function flagsOf(
  c: Pick<CaseView, 'caseType' | 'serviceForm' | 'extensionToTell' | 'pausedSince' | 'silenceConsent' | 'stage' | 'completeDue'>,
  openAssist: boolean,
  pendingExtension: boolean,
  today: string,
  _calendar?: Calendar,
  posting: PostingState = NO_POSTING,
): CaseFlags {
  return {
    postingDue: posting.due,
    postingOpen: posting.open,
    postingPeriodOver: posting.periodOver,
    objectionOpen: posting.objectionOpen,
    onTheSpot: isOnTheSpot(c.caseType, c.serviceForm),
    openAssist,
    pendingExtension,
    extensionToTell: c.extensionToTell,
    paused: c.pausedSince !== null,
    deemedApprovalDue: c.silenceConsent && (c.stage === 'forwarded' || c.stage === 'in_progress') && c.completeDue !== null && today > c.completeDue && !c.pausedSince,
  }
}

export type ActionInput = Record<string, string | string[] | undefined>

const str = (v: unknown) => (Array.isArray(v) ? String(v[0] ?? '') : String(v ?? '')).trim()
const list = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => String(x).trim()).filter(Boolean))
const lines = (v: unknown): string[] => str(v).split(/\r?\n/).map((s) => s.trim()).filter(Boolean)

function requireText(input: ActionInput, field: string, key = 'validation.required'): string {
  const value = str(input[field])
  if (!value) throw new RuleViolation(key, field)
  return value
}

function ratingOf(input: ActionInput): { overall: Rating; efficiency: number; competence: number; attitude: number; satisfaction: number; comment: string } | null {
  const overall = str(input.overall)
  if (!overall) return null
  if (!['very_satisfied', 'satisfied', 'basic', 'dissatisfied', 'very_dissatisfied'].includes(overall)) throw new RuleViolation('validation.enum', 'overall')
  const score = (field: string) => {
    const n = Number(str(input[field]) || '5')
    if (!Number.isInteger(n) || n < 1 || n > 5) throw new RuleViolation('validation.enum', field)
    return n
  }
  return { overall: overall as Rating, efficiency: score('efficiency'), competence: score('competence'), attitude: score('attitude'), satisfaction: score('satisfaction'), comment: str(input.comment) }
}

interface Change {
  to: Stage
  set: Partial<Record<keyof Case, unknown>>
  note?: string
  data?: Record<string, unknown>
  after?: (trx: Db) => Promise<void>
}

/**
 * One step of a case (受理后的每一步): checks scope, role, stage and the version the form saw,
 * then writes the case row and one append-only event in one transaction.
 */
export interface CaseSettings {
  rectificationDays: number
}
export const DEFAULT_CASE_SETTINGS: CaseSettings = { rectificationDays: 10 }

export async function performAction(
  db: Db,
  actor: Actor,
  caseId: string,
  action: Action,
  expectedVersion: number,
  input: ActionInput,
  today: string,
  now: Date = new Date(),
  settings: CaseSettings = DEFAULT_CASE_SETTINGS,
): Promise<{ stage: Stage }> {
  const calendar = await loadCalendar(db)
  return db.transaction().execute(async (trx) => {
    const scope = scopeOf(actor)
    const found = await findCaseInScope(trx, scope, caseId)
    if (!found) throw new NotFound()
    // Lock the row: concurrent steps on one case queue here, then see the version the first one wrote.
    const locked = await trx.selectFrom('cases').select(['version', 'stage']).where('id', '=', caseId).forUpdate().executeTakeFirstOrThrow()
    if (locked.version !== expectedVersion) throw new Stale()
    const c = { ...found, version: locked.version, stage: locked.stage }
    const flags = await caseFlags(trx, c, calendar, today)
    if (!isAllowed(action, c.stage, actor.role, flags)) throw new RuleViolation('cases.actionNotAllowed')
    const mv = (await findMatterVersion(trx, c.matterVersionId))!
    const change = await planChange(trx, actor, c, mv, action, input, today, calendar, now, settings)
    const result = await trx
      .updateTable('cases')
      .set({ ...(change.set as object), stage: change.to, version: c.version + 1, updatedAt: now } as never)
      .where('id', '=', caseId)
      .where('version', '=', expectedVersion)
      .executeTakeFirst()
    if (result.numUpdatedRows !== 1n) throw new Stale()
    await change.after?.(trx)
    await appendEvent(trx, actor, { id: caseId, villageId: c.villageId }, action, c.stage, change.to, change.note ?? '', change.data ?? {}, now)
    return { stage: change.to }
  })
}

async function activeWindow(trx: Db, actor: Actor, windowId: number) {
  const window = await trx.selectFrom('windows').select(['id', 'name', 'townId']).where('id', '=', windowId).where('countyId', '=', actor.countyId).where('active', '=', true).executeTakeFirst()
  if (!window) throw new RuleViolation('validation.choose', 'windowId')
  return window
}

async function planChange(trx: Db, actor: Actor, c: CaseView, mv: MatterVersion, action: Action, input: ActionInput, today: string, calendar: Calendar, now: Date, settings: CaseSettings): Promise<Change> {
  const onTheSpot = isOnTheSpot(c.caseType, c.serviceForm)
  switch (action) {
    case 'accept':
    case 'supplement': {
      const received = mv.materials.map((m) => m.name).filter((name) => list(input.materialsReceived).includes(name))
      const missing = missingMaterials(mv, received)
      if (missing.length > 0) return { to: 'awaiting_materials', set: { materialsReceived: JSON.stringify(received), dueOn: null, dueLimit: null }, data: { received, missing } }
      return { to: 'accepted', set: { materialsReceived: JSON.stringify(received), ...acceptanceColumns(calendar, mv, today, onTheSpot) }, data: { received, missing } }
    }
    case 'reject': {
      const reason = requireText(input, 'reason')
      const redirectTo = str(input.redirectTo)
      return { to: 'rejected', set: { outcomeReason: redirectTo ? `${reason}（${redirectTo}）` : reason, dueOn: null, dueLimit: null }, note: reason, data: { redirectTo } }
    }
    case 'forward': {
      const windowId = Number(str(input.windowId))
      if (!Number.isInteger(windowId) || windowId < 1) throw new RuleViolation('validation.choose', 'windowId')
      const window = await activeWindow(trx, actor, windowId)
      const method = str(input.method)
      if (!['online', 'paper'].includes(method)) throw new RuleViolation('validation.choose', 'method')
      const sent = mv.materials.map((m) => m.name).filter((name) => list(input.materialsSent).includes(name))
      return {
        to: 'forwarded',
        set: { windowId: window.id, forwardedOn: today, dueOn: c.completeDue, dueLimit: mv.promisedLimit },
        note: str(input.note),
        data: { windowId: window.id, windowName: window.name, method, materialsSent: sent },
      }
    }
    case 'receive':
      return { to: 'in_progress', set: { receivedOn: c.receivedOn ?? today } }
    case 'transfer': {
      const windowId = Number(str(input.windowId))
      if (!Number.isInteger(windowId) || windowId < 1) throw new RuleViolation('validation.choose', 'windowId')
      if (windowId === c.windowId) throw new RuleViolation('cases.transferSameWindow', 'windowId')
      const window = await activeWindow(trx, actor, windowId)
      const reason = requireText(input, 'reason')
      return { to: 'forwarded', set: { windowId: window.id }, note: reason, data: { fromWindowId: c.windowId, toWindowId: window.id, windowName: window.name } }
    }
    case 'ask_assist': {
      const question = requireText(input, 'question')
      const days = Number(str(input.dueDays) || '2')
      if (!Number.isInteger(days) || days < 1 || days > 20) throw new RuleViolation('cases.assistDays', 'dueDays')
      const dueOn = computeDueDate(calendar, today, days).due
      return {
        to: c.stage,
        set: {},
        note: question,
        data: { dueOn },
        after: async (t) => {
          await t.insertInto('caseAssists').values({ caseId: c.id, question, dueOn, askedBy: actor.id }).execute()
        },
      }
    }
    case 'answer_assist': {
      const answer = requireText(input, 'answer')
      return {
        to: c.stage,
        set: {},
        note: answer,
        after: async (t) => {
          await t.updateTable('caseAssists').set({ answer, answeredBy: actor.id, answeredAt: now }).where('caseId', '=', c.id).where('answer', 'is', null).execute()
        },
      }
    }
    case 'request_extension': {
      const reason = requireText(input, 'reason')
      const newDue = str(input.newDue)
      if (!isValidDate(newDue)) throw new RuleViolation('validation.date', 'newDue')
      if (!c.completeDue || newDue <= c.completeDue) throw new RuleViolation('cases.extensionLater', 'newDue', { due: c.completeDue })
      return {
        to: c.stage,
        set: {},
        note: reason,
        data: { oldDue: c.completeDue, newDue },
        after: async (t) => {
          await t.insertInto('caseExtensions').values({ caseId: c.id, reason, oldDue: c.completeDue!, newDue, requestedBy: actor.id }).execute()
        },
      }
    }
    case 'decide_extension': {
      const decision = str(input.decision)
      if (!['approved', 'refused'].includes(decision)) throw new RuleViolation('validation.choose', 'decision')
      const pending = await trx.selectFrom('caseExtensions').selectAll().where('caseId', '=', c.id).where('status', '=', 'pending').executeTakeFirstOrThrow()
      const note = str(input.note)
      const approved = decision === 'approved'
      return {
        to: c.stage,
        set: approved ? { completeDue: pending.newDue, dueOn: c.pausedSince ? null : pending.newDue, extensionToTell: true } : {},
        note,
        data: { decision, oldDue: pending.oldDue, newDue: pending.newDue },
        after: async (t) => {
          await t.updateTable('caseExtensions').set({ status: decision as 'approved' | 'refused', decidedBy: actor.id, decidedAt: now, decisionNote: note }).where('id', '=', pending.id).execute()
          if (approved) await enqueueCaseSms(t, c.id, 'extension', { newDue: pending.newDue }, now)
        },
      }
    }
    case 'tell_extension': {
      const how = str(input.how)
      if (!['phone', 'visit', 'station'].includes(how)) throw new RuleViolation('validation.choose', 'how')
      return { to: c.stage, set: { extensionToTell: false }, note: str(input.note), data: { how } }
    }
    case 'pause': {
      const reason = requireText(input, 'reason')
      return { to: c.stage, set: { pausedSince: today, dueOn: null }, note: reason, data: { reason } }
    }
    case 'resume':
      return { to: c.stage, ...resumeClock(c, calendar, today, str(input.note)), note: str(input.note) }
    case 'start_posting':
      return startPosting(trx, actor, c, mv, input, today, now)
    case 'record_objection': {
      const content = requireText(input, 'objection')
      const notice = await trx.selectFrom('notices').select('id').where('caseId', '=', c.id).where('kind', '=', 'posting').where('status', '=', 'published').where('postingClosedOn', 'is', null).executeTakeFirstOrThrow()
      return {
        to: c.stage,
        set: {},
        note: content,
        after: async (t) => {
          await t.insertInto('postingObjections').values({ noticeId: notice.id, caseId: c.id, receivedOn: today, content, recordedBy: actor.id }).execute()
        },
      }
    }
    case 'resolve_objection': {
      const outcome = requireText(input, 'objectionOutcome')
      return {
        to: c.stage,
        set: {},
        note: outcome,
        after: async (t) => {
          await t.updateTable('postingObjections').set({ outcome, resolvedOn: today, resolvedBy: actor.id }).where('caseId', '=', c.id).where('outcome', 'is', null).execute()
        },
      }
    }
    case 'close_posting': {
      const resumed = c.pausedSince ? resumeClock(c, calendar, today, 'posting') : { set: {}, data: {} }
      return {
        to: c.stage,
        set: resumed.set,
        data: resumed.data,
        after: async (t) => {
          await t.updateTable('notices').set({ postingClosedOn: today }).where('caseId', '=', c.id).where('kind', '=', 'posting').where('status', '=', 'published').where('postingClosedOn', 'is', null).execute()
        },
      }
    }
    case 'complete':
    case 'record_deemed': {
      const deemed = action === 'record_deemed'
      const outcome = deemed ? 'approved' : str(input.outcome)
      if (!['approved', 'refused', 'referred', 'voided'].includes(outcome)) throw new RuleViolation('validation.choose', 'outcome')
      const reason = str(input.reason)
      if (outcome !== 'approved' && !reason) throw new RuleViolation('cases.outcomeReasonRequired', 'reason')
      const handback = lines(input.handback)
      const due = replyDue(calendar, today, mv)
      return {
        to: 'completed',
        set: { outcome, outcomeReason: reason, handback: JSON.stringify(handback), completedOn: today, replyDue: due, dueOn: due, dueLimit: mv.replyLimit, deemedApproved: deemed, pausedSince: null },
        note: reason,
        data: { outcome, handback, deemed },
        after: (t) => enqueueCaseSms(t, c.id, 'result-ready', {}, now),
      }
    }
    case 'reply': {
      const how = str(input.how)
      if (!['phone', 'visit', 'station'].includes(how)) throw new RuleViolation('validation.choose', 'how')
      const returned = list(input.returned)
      const rating = ratingOf(input)
      return {
        to: rating ? 'closed' : 'replied',
        set: { repliedOn: today, dueOn: null, dueLimit: null, ...(rating ? { rating: rating.overall, closedOn: today } : {}) },
        note: str(input.note),
        data: { how, returned, feesSettled: str(input.feesSettled) === 'on', rating: rating?.overall ?? null },
        after: rating
          ? async (t) => {
              await insertRating(t, actor, c.id, rating, now)
              await openRectification(t, c, rating.overall, rating.comment, calendar, today, settings.rectificationDays)
            }
          : undefined,
      }
    }
    case 'rate': {
      const rating = ratingOf(input)
      if (!rating) throw new RuleViolation('validation.choose', 'overall')
      return {
        to: 'closed',
        set: { rating: rating.overall, closedOn: today },
        data: { rating: rating.overall },
        after: async (t) => {
          await insertRating(t, actor, c.id, rating, now)
          await openRectification(t, c, rating.overall, rating.comment, calendar, today, settings.rectificationDays)
        },
      }
    }
    case 'follow_up':
      return { to: c.stage, set: {}, note: requireText(input, 'note') }
    case 'withdraw': {
      const reason = requireText(input, 'reason')
      return { to: 'withdrawn', set: { outcomeReason: reason, dueOn: null, dueLimit: null, pausedSince: null }, note: reason }
    }
  }
}

/**
 * Restarts a stopped clock: the pause day itself counted; the days after it up to today do not,
 * so the due date moves by the time that was left when the clock stopped (dueAfterPause).
 */
function resumeClock(c: CaseView, calendar: Calendar, today: string, reason: string) {
  const since = c.pausedSince!
  const pause: PauseRecord = { from: addCalendarDays(since, 1), to: today, reason }
  const newDue = c.completeDue ? dueAfterPause(calendar, c.completeDue, since, today, c.limitUnit) : computeDueDate(calendar, today, 0).due
  const pauses = [...c.pauses, ...(pause.from <= today ? [pause] : [])]
  return { set: { pausedSince: null, pauses: JSON.stringify(pauses), completeDue: newDue, dueOn: newDue }, data: { pausedFrom: since, resumed: today, newDue } }
}

/**
 * 张榜公示: the case's posting goes on the village board with the masked name and only the fields
 * the matter's rule allows; the case clock stops while it runs.
 */
async function startPosting(trx: Db, actor: Actor, c: CaseView, mv: MatterVersion, input: ActionInput, today: string, now: Date): Promise<Change> {
  const allowed = new Set(mv.postingFields)
  const proposedResult = requireText(input, 'proposedResult')
  const content: Record<string, unknown> = { matter: mv.name, householdHead: maskName(c.applicantName), proposedResult }
  if (allowed.has('village_group')) content.villageGroup = c.applicantGroup
  if (allowed.has('household_size')) {
    const size = Number(str(input.householdSize))
    if (!Number.isInteger(size) || size < 1 || size > 30) throw new RuleViolation('notices.householdSizeInvalid', 'householdSize')
    content.householdSize = size
  }
  if (allowed.has('amount')) {
    const fen = yuanToFen(str(input.amount))
    if (fen === null || fen === 0) throw new RuleViolation('validation.money', 'amount')
    content.amountFen = fen
  }
  const round = (await trx.selectFrom('notices').select('id').where('caseId', '=', c.id).where('kind', '=', 'posting').where('status', '=', 'published').execute()).length + 1
  const shownTo = addCalendarDays(today, mv.postingDays - 1)
  return {
    to: c.stage,
    set: c.pausedSince ? {} : { pausedSince: today, dueOn: null },
    data: { round, shownFrom: today, shownTo },
    after: async (t) => {
      await t
        .insertInto('notices')
        .values({
          countyId: c.countyId, townId: c.townId, villageId: c.villageId, kind: 'posting', title: `${mv.name}公示（第${round}轮）`,
          content: JSON.stringify(content), shownFrom: today, shownTo, status: 'published', caseId: c.id, round, createdBy: actor.id, publishedAt: now,
        })
        .execute()
      await enqueueCaseSms(t, c.id, 'posting', { from: today, to: shownTo }, now)
    },
  }
}

async function insertRating(trx: Db, actor: Actor, caseId: string, rating: NonNullable<ReturnType<typeof ratingOf>>, now: Date) {
  await trx.insertInto('caseRatings').values({ caseId, countyId: actor.countyId, ...rating, recordedBy: actor.id, recordedAt: now }).execute()
}
