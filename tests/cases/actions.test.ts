/**
 * Each case action's guard and plan as tables: the pure part of a step, without a database.
 * (The state machine as a whole, stage × role × action, is tests/cases/case-rules.test.ts; the
 * writing, applyTransition, is exercised by the journey, concurrency and fault tests.)
 */
import t from 'tap'
import type { Calendar } from '../../server/calendar/working-days.ts'
import type { Material, MatterVersion, Stage } from '../../server/db/schema.ts'
import { RuleViolation } from '../../server/errors/errors.ts'
import { DEFAULT_CASE_SETTINGS, StepInputInvalid, type ActorRole, type CaseAction, type Plan, type PlanContext } from '../../server/cases/actions/action.ts'
import { ACTIONS, SYSTEM_ACTIONS, USER_ACTIONS, actionNamed, STEP_FORM_FIELDS, type Action } from '../../server/cases/actions/registry.ts'
import { recomputeDue } from '../../server/cases/actions/recompute-due.ts'
import { accept } from '../../server/cases/actions/accept.ts'
import { supplement } from '../../server/cases/actions/supplement.ts'
import { reject } from '../../server/cases/actions/reject.ts'
import { forward } from '../../server/cases/actions/forward.ts'
import { receive } from '../../server/cases/actions/receive.ts'
import { transfer } from '../../server/cases/actions/transfer.ts'
import { askAssist } from '../../server/cases/actions/ask-assist.ts'
import { answerAssist } from '../../server/cases/actions/answer-assist.ts'
import { requestExtension } from '../../server/cases/actions/request-extension.ts'
import { decideExtension } from '../../server/cases/actions/decide-extension.ts'
import { tellExtension } from '../../server/cases/actions/tell-extension.ts'
import { pause } from '../../server/cases/actions/pause.ts'
import { resume } from '../../server/cases/actions/resume.ts'
import { complete } from '../../server/cases/actions/complete.ts'
import { recordDeemed } from '../../server/cases/actions/record-deemed.ts'
import { deemedApproval } from '../../server/cases/actions/deemed-approval.ts'
import { reply } from '../../server/cases/actions/reply.ts'
import { rate } from '../../server/cases/actions/rate.ts'
import { followUp } from '../../server/cases/actions/follow-up.ts'
import { withdraw } from '../../server/cases/actions/withdraw.ts'
import { startPosting } from '../../server/cases/actions/start-posting.ts'
import { recordObjection } from '../../server/cases/actions/record-objection.ts'
import { resolveObjection } from '../../server/cases/actions/resolve-objection.ts'
import { closePosting } from '../../server/cases/actions/close-posting.ts'
import { closeUnrated } from '../../server/cases/actions/close-unrated.ts'
import { deadlineAlert } from '../../server/cases/actions/deadline-alert.ts'
import { NO_FLAGS, type CaseFlags } from '../../server/cases/case-rules.ts'
import type { CaseView } from '../../server/cases/cases.repository.ts'
import { existsSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import type { Db } from '../../server/db/connect.ts'
import type { Database } from '../../server/db/schema.ts'

// No holidays: Monday to Friday work. 2026-03-02 is a Monday.
const calendar: Calendar = new Map()
const TODAY = '2026-03-02'
const NOW = new Date('2026-03-02T02:00:00Z')

const material = (name: string, required: boolean): Material => ({ name, form: 'original', copies: 1, required, note: '' })
const mv: MatterVersion = {
  id: 7, matterId: 3, countyId: 1, version: 2, name: '低保申请', department: 'civil_affairs', caseType: 'promised', serviceForms: ['proxy'], proxiable: true,
  notProxiableReason: '', materials: [material('身份证', true), material('户口簿', true), material('照片', false)], legalBasis: '', conditions: '',
  procedure: [], statutoryLimit: 20, promisedLimit: 15, limitUnit: 'working', forwardLimit: 3, replyLimit: 2, feeFen: '0', feeBasis: '', complaintChannel: '',
  silenceConsent: false, keepOffPublicList: false, postingRounds: 0, postingDays: 7, postingFields: [], createdBy: null, createdAt: NOW,
}

function caseOf(overrides: Partial<CaseView> = {}): CaseView {
  return {
    id: '42', countyId: 1, townId: 2, villageId: 3, caseNo: 'JP01-20260302-001', idempotencyKey: 'k', idempotencyScope: 'station:3', applicantId: 5, matterId: 3, matterVersionId: 7, channel: 'station',
    apiKeyId: null, serviceForm: 'proxy', homeService: false, stage: 'registered', version: 1, agentId: 11, windowId: null, materialsReceived: [], summary: '', registeredOn: TODAY,
    acceptedOn: null, forwardDue: null, forwardedOn: null, receivedOn: null, completeDue: null, completedOn: null, replyDue: null, repliedOn: null, closedOn: null,
    dueOn: null, dueLimit: null, pauses: [], pausedSince: null, outcome: null, outcomeReason: '', deemedApproved: false, handback: [], extensionToTell: false,
    rating: null, createdAt: NOW, updatedAt: NOW,
    applicantName: '王小芳', applicantIdNumber: null, applicantPhone: '13800000000', applicantGroup: '三组', applicantAddress: '', applicantVulnerable: 'none',
    applicantVillageId: 3, matterCode: 'MZ-01', matterName: mv.name, matterVersion: 2, department: 'civil_affairs', caseType: 'promised', materials: mv.materials,
    forwardLimit: 3, replyLimit: 2, promisedLimit: 15, statutoryLimit: 20, limitUnit: 'working', silenceConsent: false, postingRounds: 0, postingDays: 7,
    postingFields: [], proxiable: true, notProxiableReason: '', villageName: '高桥村', villageCode: 'JP01', stationPhone: '', townName: '锦屏镇', agentName: '李代办',
    agentPhone: '', windowName: null, windowDepartment: null,
    ...overrides,
  }
}

function ctx(flags: Partial<CaseFlags> = {}, role: ActorRole = 'agent', matter: Partial<MatterVersion> = {}): PlanContext {
  return { actor: { id: role === 'system' ? null : 9, role, countyId: 1 }, today: TODAY, now: NOW, calendar, settings: DEFAULT_CASE_SETTINGS, mv: { ...mv, ...matter }, flags: { ...NO_FLAGS, ...flags } }
}

// A database handle that never connects: the steps below fail or plan before any query.
const offline: Db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: 'postgres://offline.invalid/none' }) }) })

/** What a step's schema says of a form, before anything else happens. */
async function refusal(action: CaseAction, c: CaseView, input: Record<string, unknown>, context: PlanContext) {
  try {
    await action.prepare(offline, c, input, context)
    return null
  } catch (error) {
    if (error instanceof StepInputInvalid) {
      // The first failing keyword of each field, as the form shows it.
      const first: Record<string, string> = {}
      for (const e of error.errors) first[e.instancePath.slice(1) || String(e.params.missingProperty)] ??= e.keyword
      return first
    }
    if (error instanceof RuleViolation) return Object.fromEntries([error, ...error.others].map((v) => [v.field ?? '_form', v.key]))
    throw error
  }
}


t.test('the registry: one file and one form partial per action, names unique, system steps kept from users', async (t) => {
  const names = [...USER_ACTIONS, ...SYSTEM_ACTIONS].map((a) => a.name)
  t.equal(new Set(names).size, names.length, 'unique names')
  for (const a of USER_ACTIONS) {
    const file = a.name.replaceAll('_', '-')
    t.ok(existsSync(path.resolve(import.meta.dirname, `../../server/cases/actions/${file}.ts`)), `${a.name}: its file`)
    t.ok(existsSync(path.resolve(import.meta.dirname, `../../views/cases/actions/${file}.hbs`)), `${a.name}: its form`)
    t.notOk(a.roles.includes('system'), `${a.name}: a user's step`)
  }
  // Not offered on any page; only the jobs (and a calendar change by the county's administrator) take them.
  for (const a of SYSTEM_ACTIONS) {
    t.ok(a.roles.includes('system'), `${a.name}: the system's`)
    t.notOk(a.roles.some((r) => r === 'agent' || r === 'clerk' || r === 'supervisor'), `${a.name}: no case worker's`)
    t.notOk(ACTIONS.includes(a.name as Action), `${a.name}: no form posts it`)
  }
  t.equal(actionNamed('forward'), forward)
  t.throws(() => actionNamed('no_such' as 'forward'))
  // The one case route receives every field some step declares, as text or a list of texts.
  t.same(STEP_FORM_FIELDS.windowId, { type: 'string', maxLength: 20 })
  t.same(STEP_FORM_FIELDS.reason, { type: 'string', maxLength: 500 })
  t.same(STEP_FORM_FIELDS.materialsReceived, { type: 'array', maxItems: 40, items: { type: 'string', maxLength: 100 } })
})

t.test('guards: each action on the facts that open and close it', async (t) => {
  const rows: [CaseAction, Stage, ActorRole, Partial<CaseFlags>, boolean][] = [
    [accept, 'registered', 'agent', {}, true],
    [accept, 'registered', 'clerk', {}, false],
    [accept, 'awaiting_materials', 'agent', {}, false],
    [supplement, 'awaiting_materials', 'agent', {}, true],
    [supplement, 'registered', 'agent', {}, false],
    [reject, 'awaiting_materials', 'agent', {}, true],
    [reject, 'accepted', 'agent', {}, false],
    [forward, 'accepted', 'agent', {}, true],
    [forward, 'accepted', 'agent', { onTheSpot: true }, false],
    [receive, 'forwarded', 'clerk', {}, true],
    [receive, 'forwarded', 'agent', {}, false],
    [transfer, 'in_progress', 'clerk', {}, true],
    [transfer, 'in_progress', 'clerk', { pendingExtension: true }, false],
    [askAssist, 'in_progress', 'clerk', {}, true],
    [askAssist, 'in_progress', 'clerk', { openAssist: true }, false],
    [answerAssist, 'in_progress', 'agent', { openAssist: true }, true],
    [answerAssist, 'in_progress', 'agent', {}, false],
    [requestExtension, 'in_progress', 'clerk', {}, true],
    [requestExtension, 'in_progress', 'clerk', { paused: true }, false],
    [requestExtension, 'in_progress', 'clerk', { pendingExtension: true }, false],
    [decideExtension, 'in_progress', 'supervisor', { pendingExtension: true }, true],
    [decideExtension, 'in_progress', 'clerk', { pendingExtension: true }, false],
    [tellExtension, 'completed', 'agent', { extensionToTell: true }, true],
    [tellExtension, 'completed', 'agent', {}, false],
    [pause, 'in_progress', 'clerk', {}, true],
    [pause, 'in_progress', 'clerk', { paused: true }, false],
    [resume, 'in_progress', 'clerk', { paused: true }, true],
    [resume, 'in_progress', 'clerk', { paused: true, postingOpen: true }, false],
    [complete, 'in_progress', 'clerk', {}, true],
    [complete, 'in_progress', 'clerk', { paused: true }, false],
    [complete, 'in_progress', 'clerk', { objectionOpen: true }, false],
    [complete, 'in_progress', 'agent', {}, false],
    [complete, 'accepted', 'agent', { onTheSpot: true }, true],
    [complete, 'accepted', 'agent', {}, false],
    [complete, 'accepted', 'clerk', { onTheSpot: true }, false],
    [recordDeemed, 'in_progress', 'agent', { deemedApprovalDue: true }, true],
    [recordDeemed, 'in_progress', 'agent', { deemedApprovalDue: true, postingOpen: true }, false],
    [deemedApproval, 'forwarded', 'system', { deemedApprovalDue: true }, true],
    [deemedApproval, 'forwarded', 'agent', { deemedApprovalDue: true }, false],
    [deemedApproval, 'forwarded', 'system', { deemedApprovalDue: true, objectionOpen: true }, false],
    [reply, 'completed', 'agent', {}, true],
    [reply, 'replied', 'agent', {}, false],
    [rate, 'replied', 'agent', {}, true],
    [followUp, 'closed', 'agent', {}, true],
    [withdraw, 'in_progress', 'agent', {}, true],
    [withdraw, 'completed', 'agent', {}, false],
    [startPosting, 'in_progress', 'agent', { postingDue: true }, true],
    [startPosting, 'in_progress', 'agent', { postingDue: true, postingOpen: true }, false],
    [recordObjection, 'in_progress', 'agent', { postingOpen: true }, true],
    [recordObjection, 'in_progress', 'agent', {}, false],
    [resolveObjection, 'in_progress', 'agent', { objectionOpen: true }, true],
    [closePosting, 'in_progress', 'agent', { postingOpen: true, postingPeriodOver: true }, true],
    [closePosting, 'in_progress', 'agent', { postingOpen: true }, false],
    [closePosting, 'in_progress', 'agent', { postingOpen: true, postingPeriodOver: true, objectionOpen: true }, false],
    [closeUnrated, 'replied', 'system', {}, true],
    [closeUnrated, 'replied', 'agent', {}, false],
    [deadlineAlert, 'in_progress', 'system', {}, true],
    [deadlineAlert, 'awaiting_materials', 'system', {}, false],
    [deadlineAlert, 'closed', 'system', {}, false],
  ]
  for (const [action, stage, role, flags, allowed] of rows) {
    t.equal(action.allows(stage, role, { ...NO_FLAGS, ...flags }), allowed, `${action.name} by ${role} at ${stage} with ${JSON.stringify(flags)}`)
  }
})

t.test('accept and supplement: all required materials start the clocks, otherwise the case waits', async (t) => {
  const all = await accept.prepare(offline, caseOf(), { materialsReceived: ['身份证', '户口簿', '不在清单'] }, ctx())
  t.equal(all.to, 'accepted')
  t.match(all.set, { materialsReceived: JSON.stringify(['身份证', '户口簿']), acceptedOn: TODAY, forwardDue: '2026-03-05', completeDue: '2026-03-23', dueOn: '2026-03-05', dueLimit: 3 })
  t.same(all.data, { received: ['身份证', '户口簿'], missing: [] })
  const onTheSpot = accept.plan(caseOf(), { materialsReceived: ['身份证', '户口簿'] }, ctx({ onTheSpot: true }), undefined)
  t.match(onTheSpot.set, { forwardDue: null, dueOn: '2026-03-23', dueLimit: 15 }, 'on the spot: the completion clock is the one that runs')
  // One ticked material arrives as a single value; the schema makes it a list.
  const some = await supplement.prepare(offline, caseOf({ stage: 'awaiting_materials' }), { materialsReceived: '身份证' }, ctx())
  t.equal(some.to, 'awaiting_materials')
  t.same(some.set, { materialsReceived: JSON.stringify(['身份证']), dueOn: null, dueLimit: null })
  t.same(some.data, { received: ['身份证'], missing: ['户口簿'] })
})

t.test('forms refused by a step\'s schema, every wrong field at once', async (t) => {
  const rows: [CaseAction, Record<string, unknown>, Record<string, string>][] = [
    [reject, { reason: '  ' }, { reason: 'pattern' }],
    [reject, {}, { reason: 'required' }],
    [forward, { windowId: 'abc', method: 'fax' }, { windowId: 'type', method: 'enum' }],
    [forward, { windowId: '', method: '' }, { windowId: 'required', method: 'enum' }],
    [transfer, { windowId: '0', reason: '' }, { windowId: 'minimum', reason: 'minLength' }],
    [askAssist, { question: '要户口簿', dueDays: '21' }, { dueDays: 'maximum' }],
    [decideExtension, { decision: 'maybe' }, { decision: 'enum' }],
    [tellExtension, { how: 'letter' }, { how: 'enum' }],
    [complete, { outcome: 'lost' }, { outcome: 'enum' }],
    [rate, { overall: '' }, { overall: 'enum' }],
    [rate, { overall: 'satisfied', efficiency: '6' }, { efficiency: 'maximum' }],
    [reply, { how: 'phone', overall: 'great' }, { overall: 'enum' }],
    [followUp, { note: '' }, { note: 'minLength' }],
    [startPosting, { proposedResult: '拟同意', householdSize: '31' }, { householdSize: 'maximum' }],
    [closeUnrated, { defaultRating: 'very_satisfied' }, { defaultRating: 'enum' }],
  ]
  for (const [action, input, expected] of rows) t.same(await refusal(action, caseOf(), input, ctx()), expected, `${action.name} ${JSON.stringify(input)}`)
})

t.test('reject, withdraw, follow-up: the reason is the event note and the outcome', async (t) => {
  t.same(reject.plan(caseOf(), { reason: ' 不符合条件 ', redirectTo: '镇社保所' }, ctx(), undefined), {
    to: 'rejected', set: { outcomeReason: '不符合条件（镇社保所）', dueOn: null, dueLimit: null }, note: '不符合条件', data: { redirectTo: '镇社保所' },
  })
  t.same(withdraw.plan(caseOf({ stage: 'in_progress', pausedSince: '2026-02-27' }), { reason: '申请人撤回' }, ctx(), undefined), {
    to: 'withdrawn', set: { outcomeReason: '申请人撤回', dueOn: null, dueLimit: null, pausedSince: null }, note: '申请人撤回',
  })
  t.same(followUp.plan(caseOf({ stage: 'closed' }), { note: '已回访' }, ctx(), undefined), { to: 'closed', set: {}, note: '已回访' })
})

t.test('forward and transfer: the chosen window, the clock handed over', async (t) => {
  const window = { id: 4, name: '民政窗口', townId: 2 }
  const c = caseOf({ stage: 'accepted', completeDue: '2026-03-23', materialsReceived: ['身份证', '户口簿'] })
  const plan = forward.plan(c, { windowId: 4, method: 'paper', materialsSent: ['身份证', '伪造'], note: ' 原件已核 ' }, ctx(), window)
  t.same(plan, {
    to: 'forwarded', set: { windowId: 4, forwardedOn: TODAY, dueOn: '2026-03-23', dueLimit: 15 }, note: '原件已核',
    data: { windowId: 4, windowName: '民政窗口', method: 'paper', materialsSent: ['身份证'] },
    // The chosen window hears of it with the date the case is due (the row still names no window when the message is written).
    effects: [{ kind: 'notify', to: ['window'], windowId: 4, message: 'case.forwarded', params: { caseNo: c.caseNo, matter: '低保申请', dueOn: '2026-03-23' } }],
  })
  const moved = transfer.plan(caseOf({ stage: 'in_progress', windowId: 4, windowName: '民政窗口', completeDue: '2026-03-23' }), { windowId: 6, reason: '属人社' }, ctx({}, 'clerk'), { id: 6, name: '人社窗口', townId: 2 })
  t.same(moved, {
    to: 'forwarded', set: { windowId: 6 }, note: '属人社', data: { fromWindowId: 4, toWindowId: 6, windowName: '人社窗口' },
    effects: [
      { kind: 'notify', to: ['window'], windowId: 6, message: 'case.transferred', params: { caseNo: c.caseNo, matter: '低保申请', from: '民政窗口', reason: '属人社', dueOn: '2026-03-23' } },
      { kind: 'notify', to: ['agent'], message: 'case.transferredAgent', params: { caseNo: c.caseNo, window: '人社窗口' } },
    ],
  }, 'the new window is told what arrives and by when; the agent where the case went')
  t.same(await refusal(transfer, caseOf({ stage: 'in_progress', windowId: 4 }), { windowId: '4', reason: '重复' }, ctx({}, 'clerk')), { windowId: 'cases.transferSameWindow' }, 'not to the same window')
  t.same(receive.plan(caseOf({ stage: 'forwarded' }), {}, ctx({}, 'clerk'), undefined), { to: 'in_progress', set: { receivedOn: TODAY } })
  t.same(receive.plan(caseOf({ stage: 'forwarded', receivedOn: '2026-02-27' }), {}, ctx({}, 'clerk'), undefined).set, { receivedOn: '2026-02-27' }, 'received again after a transfer: the first day stays')
})

t.test('assistance: asked with a due date in working days, answered', async (t) => {
  const asked = await askAssist.prepare(offline, caseOf({ stage: 'in_progress', windowName: '民政窗口' }), { question: '请补户口簿复印件', dueDays: '' }, ctx({}, 'clerk'))
  t.same(asked, {
    to: 'in_progress', set: {}, note: '请补户口簿复印件', data: { dueOn: '2026-03-04' },
    effects: [
      { kind: 'askAssist', question: '请补户口簿复印件', dueOn: '2026-03-04' },
      { kind: 'notify', to: ['agent'], message: 'assist.asked', params: { caseNo: 'JP01-20260302-001', window: '民政窗口', question: '请补户口簿复印件', dueOn: '2026-03-04' } },
    ],
  }, 'blank: 2 working days; the agent is asked, with the date the answer is due')
  const five = askAssist.plan(caseOf({ stage: 'in_progress' }), { question: 'q', dueDays: 5 }, ctx({}, 'clerk'), undefined)
  t.equal(five.data?.dueOn, '2026-03-09', 'five working days over a weekend')
  t.same(answerAssist.plan(caseOf({ stage: 'in_progress', completeDue: '2026-03-23' }), { answer: ' 已送 ' }, ctx(), undefined), {
    to: 'in_progress', set: {}, note: '已送',
    effects: [{ kind: 'answerAssist', answer: '已送' }, { kind: 'notify', to: ['window'], message: 'assist.answered', params: { caseNo: 'JP01-20260302-001', dueOn: '2026-03-23' } }],
  }, 'the window hears the answer came, and when the case is due')
})

t.test('extensions: asked for a later date, decided, told', async (t) => {
  const c = caseOf({ stage: 'in_progress', completeDue: '2026-03-23', windowName: '民政窗口' })
  t.same(requestExtension.plan(c, { newDue: '2026-04-03', reason: '需实地核查' }, ctx({}, 'clerk'), undefined), {
    to: 'in_progress', set: {}, note: '需实地核查', data: { oldDue: '2026-03-23', newDue: '2026-04-03' },
    effects: [
      { kind: 'requestExtension', reason: '需实地核查', oldDue: '2026-03-23', newDue: '2026-04-03' },
      { kind: 'notify', to: ['supervisors'], message: 'extension.requested', params: { caseNo: c.caseNo, window: '民政窗口', oldDue: '2026-03-23', newDue: '2026-04-03', reason: '需实地核查' } },
    ],
  }, 'the supervisors are asked to decide before the old date')
  t.same(await refusal(requestExtension, c, { newDue: '2026-03-20', reason: 'r' }, ctx({}, 'clerk')), { newDue: 'cases.extensionLater' })
  t.same(await refusal(requestExtension, c, { newDue: '2026-02-30', reason: 'r' }, ctx({}, 'clerk')), { newDue: 'validation.date' })
  const pending = { id: 8, caseId: '42', reason: 'r', oldDue: '2026-03-23', newDue: '2026-04-03', status: 'pending' as const, requestedBy: 9, requestedAt: NOW, decidedBy: null, decidedAt: null, decisionNote: '' }
  const approved = decideExtension.plan(c, { decision: 'approved', note: '同意' }, ctx({}, 'supervisor'), pending)
  t.same(approved.set, { completeDue: '2026-04-03', dueOn: '2026-04-03', extensionToTell: true })
  t.same(approved.effects, [
    { kind: 'decideExtension', extensionId: 8, status: 'approved', note: '同意' },
    { kind: 'text', template: 'extension', params: { newDue: '2026-04-03' } },
    { kind: 'notify', to: ['window'], message: 'extension.approved', params: { caseNo: c.caseNo, newDue: '2026-04-03' } },
    { kind: 'notify', to: ['agent'], message: 'extension.tellApplicant', params: { caseNo: c.caseNo, newDue: '2026-04-03' } },
  ], 'approved: the window has its new date; the agent must tell the applicant')
  t.same(decideExtension.plan(caseOf({ stage: 'in_progress', completeDue: '2026-03-23', pausedSince: '2026-03-01' }), { decision: 'approved' }, ctx({}, 'supervisor'), pending).set.dueOn, null, 'a stopped clock stays stopped')
  const refused = decideExtension.plan(c, { decision: 'refused' }, ctx({}, 'supervisor'), pending)
  t.same([refused.set, refused.effects], [{}, [
    { kind: 'decideExtension', extensionId: 8, status: 'refused', note: '' },
    { kind: 'notify', to: ['window'], message: 'extension.refused', params: { caseNo: c.caseNo, oldDue: '2026-03-23', note: '' } },
  ]], 'refused: no new date, no text; the window is told the old date holds')
  t.same(tellExtension.plan(caseOf({ stage: 'completed', extensionToTell: true }), { how: 'phone' }, ctx(), undefined), { to: 'completed', set: { extensionToTell: false }, note: '', data: { how: 'phone' } })
})

t.test('the clock: stopped, restarted with the time that was left', async (t) => {
  t.same(pause.plan(caseOf({ stage: 'in_progress' }), { reason: '等待鉴定' }, ctx({}, 'clerk'), undefined), { to: 'in_progress', set: { pausedSince: TODAY, dueOn: null }, note: '等待鉴定', data: { reason: '等待鉴定' } })
  // Stopped on Monday 23 Feb with 5 working days left (due 2 March); restarted Monday 2 March: due 9 March.
  const restarted = resume.plan(caseOf({ stage: 'in_progress', pausedSince: '2026-02-23', completeDue: '2026-03-02' }), { note: '鉴定已出' }, ctx({ paused: true }, 'clerk'), undefined)
  t.same(restarted.set, { pausedSince: null, pauses: JSON.stringify([{ from: '2026-02-24', to: TODAY, reason: '鉴定已出' }]), completeDue: '2026-03-09', dueOn: '2026-03-09' })
  t.same(restarted.data, { pausedFrom: '2026-02-23', resumed: TODAY, newDue: '2026-03-09' })
})

t.test('completion: by the window, on the spot, deemed by the agent or by the job', async (t) => {
  const c = caseOf({ stage: 'in_progress', pausedSince: null })
  const done = complete.plan(c, { outcome: 'refused', reason: ' 收入超标 ', handback: '户口簿\n\n 身份证 ' }, ctx({}, 'clerk'), undefined)
  t.same(done, {
    to: 'completed',
    set: { outcome: 'refused', outcomeReason: '收入超标', handback: JSON.stringify(['户口簿', '身份证']), deemedApproved: false, pausedSince: null, completedOn: TODAY, replyDue: '2026-03-04', dueOn: '2026-03-04', dueLimit: 2 },
    note: '收入超标', data: { outcome: 'refused', handback: ['户口簿', '身份证'], deemed: false }, effects: [{ kind: 'text', template: 'result-ready', params: {} }],
  })
  t.same(await refusal(complete, c, { outcome: 'refused', reason: '' }, ctx({}, 'clerk')), { reason: 'cases.outcomeReasonRequired' }, 'a refusal says why')
  t.equal(complete.plan(c, { outcome: 'approved' }, ctx({}, 'clerk'), undefined).note, '', 'an approval needs no reason')
  // An unanswered request for help: completing is refused until the clerk confirms, with every problem at once; then the request is withdrawn and the agent told.
  t.same(
    await refusal(complete, c, { outcome: 'refused', reason: '' }, ctx({ openAssist: true }, 'clerk')),
    { confirmOpenAssist: 'cases.completeOpenAssist', reason: 'cases.outcomeReasonRequired' },
    'an open request for help must be confirmed away, and the refusal still says why',
  )
  const confirmed = complete.plan(c, { outcome: 'approved', confirmOpenAssist: 'on' }, ctx({ openAssist: true }, 'clerk'), undefined)
  t.same(confirmed.effects, [
    { kind: 'text', template: 'result-ready', params: {} },
    { kind: 'withdrawAssist' },
    { kind: 'notify', to: ['agent'], message: 'assist.withdrawn', params: { caseNo: c.caseNo } },
  ])
  t.equal(confirmed.data?.assistWithdrawn, true, 'the event records that the request was withdrawn')
  const deemed = recordDeemed.plan(c, { handback: '批复' }, ctx({ deemedApprovalDue: true }), undefined)
  t.match(deemed.set, { outcome: 'approved', deemedApproved: true, handback: JSON.stringify(['批复']), replyDue: '2026-03-04' })
  t.same(deemed.data, { outcome: 'approved', handback: ['批复'], deemed: true })
  const byJob = deemedApproval.plan(c, {}, ctx({ deemedApprovalDue: true }, 'system'), undefined)
  t.same(byJob, {
    to: 'completed', set: { outcome: 'approved', deemedApproved: true, completedOn: TODAY, replyDue: '2026-03-04', dueOn: '2026-03-04', dueLimit: 2 }, data: { deemed: true },
    effects: [{ kind: 'notify', to: ['agent'], message: 'case.deemed_approved', params: { caseNo: c.caseNo } }, { kind: 'text', template: 'result-ready', params: {} }],
  })
})

t.test('reply and rating: a rating closes the case; a bad one opens a rectification', async (t) => {
  const c = caseOf({ stage: 'completed' })
  const unrated = await reply.prepare(offline, c, { how: 'visit', returned: '户口簿', feesSettled: 'on', overall: '', note: '' }, ctx())
  t.same(unrated, { to: 'replied', set: { repliedOn: TODAY, dueOn: null, dueLimit: null }, note: '', data: { how: 'visit', returned: ['户口簿'], feesSettled: true, rating: null }, effects: [] })
  const rated = await reply.prepare(offline, c, { how: 'station', overall: 'dissatisfied', efficiency: '2', comment: ' 太慢 ' }, ctx())
  t.equal(rated.to, 'closed')
  t.same(rated.set, { repliedOn: TODAY, dueOn: null, dueLimit: null, rating: 'dissatisfied', closedOn: TODAY })
  t.same(rated.effects, [
    { kind: 'recordRating', rating: { overall: 'dissatisfied', efficiency: 2, competence: 5, attitude: 5, satisfaction: 5, comment: '太慢' }, byDefault: false },
    { kind: 'openRectification', rating: 'dissatisfied', comment: '太慢' },
  ], 'indicators not given are 5')
  const later = rate.plan(caseOf({ stage: 'replied' }), { overall: 'very_satisfied', efficiency: 5, competence: 5, attitude: 4, satisfaction: 5 }, ctx(), undefined)
  t.same([later.to, later.set, later.data], ['closed', { rating: 'very_satisfied', closedOn: TODAY }, { rating: 'very_satisfied' }])
  const byDefault = closeUnrated.plan(caseOf({ stage: 'replied' }), { defaultRating: 'basic' }, ctx({}, 'system'), undefined)
  t.same(byDefault, {
    to: 'closed', set: { closedOn: TODAY, rating: 'basic' }, event: 'rated_by_default', data: { rating: 'basic' },
    effects: [{ kind: 'recordRating', rating: { overall: 'basic', efficiency: 4, competence: 4, attitude: 4, satisfaction: 4, comment: '' }, byDefault: true }],
  })
  t.same(closeUnrated.plan(caseOf({ stage: 'replied' }), { defaultRating: '' }, ctx({}, 'system'), undefined), { to: 'closed', set: { closedOn: TODAY, rating: null }, event: 'closed_unrated', data: { rating: null }, effects: [] })
})

t.test('posting: only the fields the matter allows, the clock stopped while it runs, objections held', async (t) => {
  const matter = { postingRounds: 1, postingDays: 7, postingFields: ['village_group', 'household_size', 'amount'] }
  const c = caseOf({ stage: 'in_progress' })
  const plan = startPosting.plan(c, { proposedResult: '拟纳入低保', householdSize: 3, amount: '350.5' }, ctx({ postingDue: true }, 'agent', matter), 1)
  t.same(plan, {
    to: 'in_progress', set: { pausedSince: TODAY, dueOn: null }, data: { round: 2, shownFrom: TODAY, shownTo: '2026-03-08' },
    effects: [
      { kind: 'publishPosting', title: '低保申请公示（第2轮）', content: { matter: '低保申请', householdHead: '王*芳', proposedResult: '拟纳入低保', villageGroup: '三组', householdSize: 3, amountFen: 35050 }, round: 2, shownFrom: TODAY, shownTo: '2026-03-08' },
      { kind: 'text', template: 'posting', params: { from: TODAY, to: '2026-03-08' } },
    ],
  })
  t.throws(() => startPosting.plan(c, { proposedResult: 'x' }, ctx({}, 'agent', matter), 0), new RuleViolation('notices.householdSizeInvalid', 'householdSize'))
  t.throws(() => startPosting.plan(c, { proposedResult: 'x', householdSize: 2, amount: '0' }, ctx({}, 'agent', matter), 0), new RuleViolation('validation.money', 'amount'))
  t.same(startPosting.plan(caseOf({ stage: 'in_progress', pausedSince: '2026-02-27' }), { proposedResult: 'x' }, ctx(), 0).set, {}, 'a stopped clock stays as it is')
  t.same(recordObjection.plan(c, { objection: '收入不实' }, ctx({ postingOpen: true }), { id: '77' }), { to: 'in_progress', set: {}, note: '收入不实', effects: [{ kind: 'recordObjection', noticeId: '77', content: '收入不实' }] })
  t.same(resolveObjection.plan(c, { objectionOutcome: '核实无误' }, ctx({ objectionOpen: true }), undefined), { to: 'in_progress', set: {}, note: '核实无误', effects: [{ kind: 'resolveObjection', outcome: '核实无误' }] })
  const closed = closePosting.plan(caseOf({ stage: 'in_progress', pausedSince: '2026-02-23', completeDue: '2026-03-02' }), {}, ctx({ postingOpen: true, postingPeriodOver: true }), undefined)
  t.same(closed.set, { pausedSince: null, pauses: JSON.stringify([{ from: '2026-02-24', to: TODAY, reason: 'posting' }]), completeDue: '2026-03-09', dueOn: '2026-03-09' })
  t.same(closed.effects, [{ kind: 'closePosting' }])
})

t.test('deadline alerts: recorded without touching the case; who is told at each level', async (t) => {
  const rows: [Stage, 'due_soon' | 'overdue' | 'very_overdue', string[]][] = [
    ['registered', 'due_soon', ['agent']],
    ['in_progress', 'due_soon', ['window']],
    ['in_progress', 'overdue', ['window', 'supervisors']],
    ['forwarded', 'very_overdue', ['supervisors']],
    ['completed', 'overdue', ['agent', 'supervisors']],
  ]
  for (const [stage, level, to] of rows) {
    const plan = deadlineAlert.plan(caseOf({ stage }), { level, dueKind: 'complete', dueOn: '2026-02-27' }, ctx({}, 'system'), undefined)
    t.same([plan.to, plan.set, plan.touchesCase, plan.event], [stage, {}, false, level], `${level} at ${stage}: the event is the level`)
    t.same(plan.effects?.[1], { kind: 'notify', to, message: `deadline.${level}`, params: { caseNo: 'JP01-20260302-001', dueOn: '2026-02-27', dueKind: 'complete' } })
  }
})

t.test('a calendar change: the moved dates written, the holder told of the deadline that runs now', async (t) => {
  t.ok(recomputeDue.allows('in_progress', 'admin', NO_FLAGS))
  t.notOk(recomputeDue.allows('closed', 'system', NO_FLAGS), 'finished cases keep their dates')
  const c = caseOf({ stage: 'in_progress', windowId: 4, completeDue: '2026-03-23', dueOn: '2026-03-23' })
  const plan = await recomputeDue.prepare(offline, c, { completeDue: '2026-03-24', dueOn: '2026-03-24' }, ctx({}, 'admin'))
  t.same([plan.to, plan.set, plan.data], ['in_progress', { completeDue: '2026-03-24', dueOn: '2026-03-24' }, { old: { completeDue: '2026-03-23', dueOn: '2026-03-23' }, new: { completeDue: '2026-03-24', dueOn: '2026-03-24' } }])
  t.same(plan.effects, [{ kind: 'notify', to: ['window'], message: 'deadline.recomputed', params: { caseNo: c.caseNo, dueKind: 'complete', oldDue: '2026-03-23', newDue: '2026-03-24' } }])
  // A stopped clock: due_on stays empty, the completion date moves and is what the window hears of.
  const paused = recomputeDue.plan(caseOf({ stage: 'in_progress', pausedSince: '2026-03-01', completeDue: '2026-03-23' }), { completeDue: '2026-03-24' }, ctx({}, 'system'), undefined)
  t.same(paused.set, { completeDue: '2026-03-24' })
  t.match(paused.effects?.[0], { params: { dueKind: 'complete', oldDue: '2026-03-23', newDue: '2026-03-24' } })
  const registered = recomputeDue.plan(caseOf({ stage: 'registered', dueOn: '2026-03-09' }), { dueOn: '2026-03-10' }, ctx({}, 'system'), undefined)
  t.match(registered.effects?.[0], { to: ['agent'], params: { dueKind: 'registration', oldDue: '2026-03-09', newDue: '2026-03-10' } })
})

t.teardown(() => offline.destroy())
