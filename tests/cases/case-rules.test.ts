import t from 'tap'
import { NO_FLAGS, formatCaseNo, intakeStage, type CaseFlags } from '../../server/cases/case-rules.ts'
import { ACTIONS, allowedActions, isAllowed, type Action } from '../../server/cases/actions/registry.ts'
import { ROLES, STAGES, type Role, type Stage } from '../../server/db/schema.ts'

// Every (stage, role) pair and the actions it allows on a case with no special facts.
const EXPECTED: Record<Stage, Partial<Record<Role, Action[]>>> = {
  registered: { agent: ['accept', 'reject', 'withdraw'] },
  awaiting_materials: { agent: ['supplement', 'reject', 'withdraw'] },
  accepted: { agent: ['forward', 'withdraw'] },
  rejected: {},
  forwarded: { agent: ['withdraw'], clerk: ['receive', 'transfer'] },
  in_progress: { agent: ['withdraw'], clerk: ['transfer', 'ask_assist', 'request_extension', 'pause', 'complete'] },
  completed: { agent: ['reply'] },
  replied: { agent: ['rate', 'follow_up'] },
  closed: { agent: ['follow_up'] },
  withdrawn: {},
}

t.test('the state machine, stage × action × role, exhaustively', async (t) => {
  let checked = 0
  for (const stage of STAGES) {
    for (const role of ROLES) {
      const expected = EXPECTED[stage][role] ?? []
      for (const action of ACTIONS) {
        t.equal(isAllowed(action, stage, role), expected.includes(action), `${role} ${action} at ${stage}`)
        checked++
      }
      t.same(allowedActions(stage, role), expected, `${role} at ${stage}`)
    }
  }
  t.equal(checked, STAGES.length * ROLES.length * ACTIONS.length)
})

t.test('facts about a case open and close actions', async (t) => {
  const rows: [Partial<CaseFlags>, Stage, Role, Action, boolean][] = [
    [{ onTheSpot: true }, 'accepted', 'agent', 'forward', false],
    [{ onTheSpot: true }, 'accepted', 'agent', 'complete', true],
    [{}, 'accepted', 'agent', 'complete', false],
    [{}, 'in_progress', 'agent', 'complete', false],
    [{ openAssist: true }, 'in_progress', 'agent', 'answer_assist', true],
    [{ openAssist: true }, 'in_progress', 'clerk', 'ask_assist', false],
    [{}, 'in_progress', 'agent', 'answer_assist', false],
    [{ pendingExtension: true }, 'in_progress', 'supervisor', 'decide_extension', true],
    [{ pendingExtension: true }, 'in_progress', 'clerk', 'request_extension', false],
    [{ pendingExtension: true }, 'in_progress', 'clerk', 'complete', false],
    [{ pendingExtension: true }, 'in_progress', 'clerk', 'transfer', false],
    [{}, 'in_progress', 'supervisor', 'decide_extension', false],
    [{ extensionToTell: true }, 'in_progress', 'agent', 'tell_extension', true],
    [{ extensionToTell: true }, 'completed', 'agent', 'tell_extension', true],
    [{ paused: true }, 'in_progress', 'clerk', 'resume', true],
    [{ paused: true }, 'in_progress', 'clerk', 'pause', false],
    [{ paused: true }, 'in_progress', 'clerk', 'complete', false],
    [{ paused: true }, 'in_progress', 'clerk', 'request_extension', false],
    [{ deemedApprovalDue: true }, 'in_progress', 'agent', 'record_deemed', true],
    [{ deemedApprovalDue: true }, 'forwarded', 'agent', 'record_deemed', true],
    [{ deemedApprovalDue: true }, 'in_progress', 'clerk', 'record_deemed', false],
    [{ deemedApprovalDue: true }, 'completed', 'agent', 'record_deemed', false],
  ]
  for (const [flags, stage, role, action, allowed] of rows) {
    t.equal(isAllowed(action, stage, role, { ...NO_FLAGS, ...flags }), allowed, `${JSON.stringify(flags)} ${role} ${action} at ${stage}`)
  }
})

t.test('intake lands in the right stage', async (t) => {
  t.equal(intakeStage(0, 'decide'), 'accepted')
  t.equal(intakeStage(2, 'decide'), 'awaiting_materials')
  t.equal(intakeStage(0, 'register'), 'registered')
  t.equal(intakeStage(3, 'register'), 'registered')
})

t.test('case numbers are readable and sort by station, date and sequence', async (t) => {
  t.equal(formatCaseNo('JP01', '2026-02-13', 7), 'JP01-20260213-007')
  t.equal(formatCaseNo('JP01', '2026-02-13', 1234), 'JP01-20260213-1234')
  const numbers = [formatCaseNo('JP01', '2026-02-13', 10), formatCaseNo('JP01', '2026-02-13', 9), formatCaseNo('JP01', '2026-01-31', 99)]
  t.same([...numbers].sort(), ['JP01-20260131-099', 'JP01-20260213-009', 'JP01-20260213-010'])
})
