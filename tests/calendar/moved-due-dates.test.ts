import t from 'tap'
import { movedDueDates } from '../../server/cases/case-deadlines.ts'
import { isProvisional, lastPublishedYear, withRegionalHolidays, type Calendar } from '../../server/calendar/working-days.ts'
import type { PauseRecord, Stage } from '../../server/db/schema.ts'

// Weekends only, and the same with Friday 1 January 2027 a holiday (the 2027 schedule arriving).
const before: Calendar = new Map([['2026-10-01', { kind: 'holiday', name: '国庆节' }]])
const after: Calendar = new Map([...before, ['2027-01-01', { kind: 'holiday', name: '元旦' }]])
const mv = { forwardLimit: 3, promisedLimit: 10, replyLimit: 2, limitUnit: 'working' as const }

const base = {
  registeredOn: '2026-12-28', acceptedOn: null as string | null, completedOn: null as string | null,
  forwardDue: null as string | null, completeDue: null as string | null, replyDue: null as string | null, dueOn: null as string | null,
  pauses: [] as PauseRecord[], pausedSince: null as string | null,
}
const accepted = { ...base, acceptedOn: '2026-12-28', forwardDue: '2026-12-31', completeDue: '2027-01-11', dueOn: '2026-12-31' }

const rows: { name: string; stage: Stage; c: Partial<typeof base>; onTheSpot?: boolean; extended?: boolean; want: Record<string, string | null> }[] = [
  { name: 'registration counts from the registered date', stage: 'registered', c: { dueOn: '2027-01-04' }, want: { dueOn: '2027-01-05' } },
  { name: 'accepted: the completion date moves, the forward date does not', stage: 'accepted', c: accepted, want: { completeDue: '2027-01-12' } },
  { name: 'accepted on the spot: due_on follows the completion date', stage: 'accepted', onTheSpot: true, c: { ...accepted, forwardDue: null, dueOn: '2027-01-11' }, want: { completeDue: '2027-01-12', dueOn: '2027-01-12' } },
  { name: 'forwarded: completion and due_on move', stage: 'forwarded', c: { ...accepted, dueOn: '2027-01-11' }, want: { completeDue: '2027-01-12', dueOn: '2027-01-12' } },
  { name: 'in progress: same', stage: 'in_progress', c: { ...accepted, dueOn: '2027-01-11' }, want: { completeDue: '2027-01-12', dueOn: '2027-01-12' } },
  { name: 'paused: due_on stays empty, completion still moves', stage: 'in_progress', c: { ...accepted, dueOn: null, pausedSince: '2026-12-29' }, want: { completeDue: '2027-01-12' } },
  {
    name: 'recorded pauses count: two days stopped before New Year',
    stage: 'in_progress',
    c: { ...accepted, completeDue: '2027-01-13', dueOn: '2027-01-13', pauses: [{ from: '2026-12-29', to: '2026-12-30', reason: 'x' }] },
    want: { completeDue: '2027-01-14', dueOn: '2027-01-14' },
  },
  { name: 'an approved extension keeps its chosen date', stage: 'in_progress', extended: true, c: { ...accepted, completeDue: '2027-02-15', dueOn: '2027-02-15' }, want: {} },
  { name: 'completed: only the reply date is pending, and it is in 2026', stage: 'completed', c: { ...accepted, completedOn: '2026-12-28', replyDue: '2026-12-30', dueOn: '2026-12-30' }, want: {} },
  { name: 'completed across New Year: the reply date moves', stage: 'completed', c: { ...accepted, completedOn: '2026-12-30', replyDue: '2027-01-01', dueOn: '2027-01-01' }, want: { replyDue: '2027-01-04', dueOn: '2027-01-04' } },
  { name: 'awaiting materials has no running date', stage: 'awaiting_materials', c: {}, want: {} },
  { name: 'replied is past its dates', stage: 'replied', c: accepted, want: {} },
  { name: 'closed is final', stage: 'closed', c: accepted, want: {} },
  { name: 'withdrawn is final', stage: 'withdrawn', c: accepted, want: {} },
  { name: 'rejected is final', stage: 'rejected', c: { dueOn: '2027-01-04' }, want: {} },
  { name: 'already at the new date: nothing to write', stage: 'accepted', c: { ...accepted, completeDue: '2027-01-12' }, want: {} },
  {
    name: 'a date the counting cannot reproduce (late when stopped) is left alone when the change does not reach it',
    stage: 'in_progress',
    c: { ...accepted, acceptedOn: '2026-11-02', completeDue: '2026-11-20', dueOn: '2026-11-20', pauses: [{ from: '2026-11-25', to: '2026-11-30', reason: 'x' }] },
    want: {},
  },
]

t.test('which due dates a calendar change moves, stage by stage', async (t) => {
  for (const row of rows) {
    const c = { ...base, ...row.c, stage: row.stage }
    t.same(movedDueDates(before, after, c, mv, row.onTheSpot ?? false, row.extended ?? false), row.want, row.name)
  }
  t.same(movedDueDates(after, after, { ...base, ...accepted, stage: 'accepted' }, mv, false, false), {}, 'the same calendar moves nothing')
  t.same(movedDueDates(after, before, { ...base, ...accepted, completeDue: '2027-01-12', stage: 'accepted' }, mv, false, false), { completeDue: '2027-01-11' }, 'a removed holiday moves dates back')
})

t.test('calendar-day matters move only when the last day lands on a new rest day', async (t) => {
  const cal = { ...mv, limitUnit: 'calendar' as const, promisedLimit: 4 }
  const c = { ...base, acceptedOn: '2026-12-28', completeDue: '2027-01-01', dueOn: '2027-01-01', stage: 'in_progress' as const }
  t.same(movedDueDates(before, after, c, cal, false, false), { completeDue: '2027-01-04', dueOn: '2027-01-04' })
  t.same(movedDueDates(before, after, { ...c, acceptedOn: '2026-12-20', completeDue: '2026-12-24', dueOn: '2026-12-24' }, cal, false, false), {})
})

t.test('a county calendar adds its own days off on top of the national one', async (t) => {
  const national: Calendar = new Map([
    ['2026-04-05', { kind: 'holiday', name: '清明节' }],
    ['2026-04-26', { kind: 'workday', name: '调休上班' }],
  ])
  const county = withRegionalHolidays(national, [
    { date: '2026-04-20', name: '三月三' },
    { date: '2026-04-05', name: '本县清明' },
    { date: '2026-04-26', name: '本县假日' },
  ])
  t.same(county.get('2026-04-20'), { kind: 'holiday', name: '三月三', regional: true })
  t.same(county.get('2026-04-05'), { kind: 'holiday', name: '清明节' }, 'a national holiday keeps its name')
  t.same(county.get('2026-04-26'), { kind: 'holiday', name: '本县假日', regional: true }, 'the county’s day off wins over a make-up working day')
  t.equal(national.has('2026-04-20'), false, 'the national calendar is not changed')
  t.equal(withRegionalHolidays(national, []), national, 'no days of its own: the national calendar itself')
})

t.test('provisional: after the last year whose national schedule is published', async (t) => {
  const cal: Calendar = new Map([
    ['2025-12-28', { kind: 'workday', name: '元旦调休上班' }],
    ['2026-01-01', { kind: 'holiday', name: '元旦' }],
    ['2027-04-20', { kind: 'holiday', name: '三月三', regional: true }],
  ])
  t.equal(lastPublishedYear(cal), 2026, 'a county’s own day does not publish its year')
  t.equal(lastPublishedYear(new Map()), null)
  const table: [string | null, number | null, boolean][] = [
    ['2026-12-31', 2026, false],
    ['2027-01-01', 2026, true],
    ['2030-06-01', 2026, true],
    ['2025-03-03', 2026, false],
    ['2026-05-05', null, true],
    [null, 2026, false],
    ['', 2026, false],
    ['not a date', 2026, false],
  ]
  for (const [date, year, want] of table) t.equal(isProvisional(date, year), want, `${date} with ${year} published`)
})
