import t from 'tap'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import {
  computeDueDate,
  isValidDate,
  isWorkingDay,
  workingDaysBetween,
  type Calendar,
  type CalendarOverride,
  type Pause,
} from '../../server/calendar/working-days.ts'
import { stageStatus } from '../../server/cases/case-deadlines.ts'

// The official schedule, read from the same file the product's migration was made from.
function officialCalendar(): Calendar {
  const file = path.resolve(import.meta.dirname, '../../migrations/2026_11_24_003_seed_calendar_2025_2026.ts')
  const map = new Map<string, CalendarOverride>()
  for (const m of readFileSync(file, 'utf8').matchAll(/\['(\d{4}-\d{2}-\d{2})', '(holiday|workday)', '([^']+)'/g)) {
    map.set(m[1], { kind: m[2] as 'holiday' | 'workday', name: m[3] })
  }
  return map
}
const cal = officialCalendar()

t.test('the seeded schedule has both years', async (t) => {
  t.equal([...cal.keys()].filter((d) => d.startsWith('2025')).length, 33)
  t.equal([...cal.keys()].filter((d) => d.startsWith('2026')).length, 39)
})

t.test('is a date a working day', async (t) => {
  const rows: [string, boolean, string][] = [
    ['2026-02-13', true, 'Friday before Spring Festival'],
    ['2026-02-14', true, 'Saturday make-up working day'],
    ['2026-02-15', false, 'Spring Festival (Sunday)'],
    ['2026-02-16', false, 'Spring Festival (Monday)'],
    ['2026-02-23', false, 'last Spring Festival day (Monday)'],
    ['2026-02-24', true, 'first day back'],
    ['2026-02-28', true, 'Saturday make-up working day after the festival'],
    ['2026-03-01', false, 'ordinary Sunday'],
    ['2026-03-02', true, 'ordinary Monday'],
    ['2026-09-20', true, 'Sunday make-up working day before National Day'],
    ['2026-10-01', false, 'National Day'],
    ['2026-10-07', false, 'last National Day holiday'],
    ['2026-10-08', true, 'back after National Day'],
    ['2026-10-10', true, 'Saturday make-up working day'],
    ['2026-01-01', false, 'New Year'],
    ['2026-01-04', true, 'Sunday make-up working day after New Year'],
    ['2025-12-31', true, 'ordinary Wednesday'],
    ['2027-01-02', false, 'a Saturday in a year with no schedule yet'],
    ['2027-01-04', true, 'a Monday in a year with no schedule yet'],
  ]
  for (const [date, expected, why] of rows) t.equal(isWorkingDay(cal, date), expected, `${date}: ${why}`)
})

t.test('add N working days: the start day is day 0, due at the end of the Nth working day', async (t) => {
  const rows: [string, number, string, string][] = [
    ['2026-02-13', 3, '2026-02-25', 'the issue example: Sat 14th works, 15–23 are holidays'],
    ['2026-02-13', 1, '2026-02-14', 'the make-up Saturday counts as the first day'],
    ['2026-02-13', 2, '2026-02-24', 'then the holidays are passed over'],
    ['2026-02-12', 5, '2026-02-26', 'Thursday before the festival'],
    ['2026-02-24', 4, '2026-02-28', 'four days ending on the make-up Saturday'],
    ['2026-02-24', 5, '2026-03-02', 'the fifth is the Monday after'],
    ['2026-02-27', 1, '2026-02-28', 'Friday to make-up Saturday'],
    ['2026-09-30', 1, '2026-10-08', 'over the National Day week'],
    ['2026-09-18', 1, '2026-09-20', 'Friday to make-up Sunday'],
    ['2026-09-30', 3, '2026-10-10', 'to the make-up Saturday after National Day'],
    ['2026-09-24', 3, '2026-09-30', 'over the Mid-Autumn weekend'],
    ['2025-12-30', 3, '2026-01-05', 'over the 2025→2026 year end and New Year'],
    ['2025-12-31', 1, '2026-01-04', 'New Year holidays then the make-up Sunday'],
    ['2025-12-31', 2, '2026-01-05', ''],
    ['2026-01-30', 1, '2026-02-02', 'month end over a weekend'],
    ['2026-03-31', 2, '2026-04-02', 'month end midweek'],
    ['2026-04-30', 1, '2026-05-06', 'Labour Day holidays'],
    ['2026-04-30', 3, '2026-05-08', ''],
    ['2026-04-30', 4, '2026-05-09', 'the make-up Saturday after Labour Day'],
    ['2026-06-18', 1, '2026-06-22', 'Dragon Boat'],
    ['2026-03-06', 20, '2026-04-03', 'a long limit'],
    ['2026-03-06', 0, '2026-03-06', 'zero days: due the same day'],
    ['2026-02-14', 1, '2026-02-24', 'starting on a make-up Saturday'],
    ['2026-02-15', 1, '2026-02-24', 'starting on a holiday'],
  ]
  for (const [start, days, due, why] of rows) t.equal(computeDueDate(cal, start, days).due, due, `${start} + ${days} → ${due} ${why}`)
})

t.test('the explanation names the days counted and passed over', async (t) => {
  const result = computeDueDate(cal, '2026-02-13', 3)
  t.same(result.counted, ['2026-02-14', '2026-02-24', '2026-02-25'])
  t.same(result.makeUpWorkdays, [{ date: '2026-02-14', name: '春节调休上班' }])
  t.equal(result.skipped.length, 9)
  t.ok(result.skipped.every((s) => s.reason === 'holiday' && s.name === '春节'))
  const weekend = computeDueDate(cal, '2026-03-06', 1)
  t.same(weekend.skipped, [
    { date: '2026-03-07', reason: 'weekend' },
    { date: '2026-03-08', reason: 'weekend' },
  ])
})

t.test('calendar-day limits end on the Nth calendar day, moved to the next working day', async (t) => {
  const rows: [string, number, string][] = [
    ['2026-03-02', 7, '2026-03-09'],
    ['2026-03-02', 5, '2026-03-09'],
    ['2026-02-10', 7, '2026-02-24'],
    ['2026-09-28', 7, '2026-10-08'],
    ['2026-02-07', 7, '2026-02-14'],
  ]
  for (const [start, days, due] of rows) t.equal(computeDueDate(cal, start, days, 'calendar').due, due, `${start} + ${days} calendar days`)
})

t.test('paused days do not count; counting resumes the day after the pause', async (t) => {
  const rows: [string, number, Pause[], string, string][] = [
    ['2026-03-02', 3, [{ from: '2026-03-03', to: '2026-03-04' }], '2026-03-09', 'two paused weekdays'],
    ['2026-03-02', 3, [{ from: '2026-03-03', to: null }], '—', 'open pause handled below'],
    ['2026-02-12', 3, [{ from: '2026-02-13', to: '2026-02-25' }], '2026-02-28', 'a pause spanning the Spring Festival'],
    ['2026-02-12', 3, [{ from: '2026-02-20', to: '2026-02-24' }], '2026-02-25', 'a pause inside the holidays only costs the working day it covers'],
    ['2026-09-29', 2, [{ from: '2026-09-30', to: '2026-10-09' }], '2026-10-12', 'a pause across National Day'],
    ['2026-03-02', 3, [{ from: '2026-03-03', to: '2026-03-03' }, { from: '2026-03-05', to: '2026-03-05' }], '2026-03-09', 'two pauses'],
  ]
  for (const [start, days, pauses, due, why] of rows) {
    if (pauses.some((p) => p.to === null)) continue
    t.equal(computeDueDate(cal, start, days, 'working', pauses).due, due, why)
  }
  t.throws(() => computeDueDate(cal, '2026-03-02', 3, 'working', [{ from: '2026-03-03', to: null }]), RangeError, 'an open pause never ends the count')
})

t.test('working days between two dates', async (t) => {
  const rows: [string, string, number][] = [
    ['2026-02-13', '2026-02-25', 3],
    ['2026-02-25', '2026-02-13', 0],
    ['2026-03-02', '2026-03-02', 0],
    ['2026-03-06', '2026-03-09', 1],
    ['2025-12-30', '2026-01-05', 3],
    ['2026-09-30', '2026-10-08', 1],
  ]
  for (const [from, to, n] of rows) t.equal(workingDaysBetween(cal, from, to), n, `${from} → ${to}`)
})

t.test('status of a stage on a date', async (t) => {
  // A 3-working-day stage due Wednesday 2026-02-25; 28 February is a make-up working day, so it is the third late one.
  const rows: [string, string][] = [
    ['2026-02-13', 'on_time'],
    ['2026-02-23', 'on_time'],
    ['2026-02-24', 'due_soon'],
    ['2026-02-25', 'due_soon'],
    ['2026-02-26', 'overdue'],
    ['2026-02-27', 'overdue'],
    ['2026-02-28', 'very_overdue'],
    ['2026-03-01', 'very_overdue'],
  ]
  for (const [today, status] of rows) t.equal(stageStatus(cal, '2026-02-25', 3, today), status, `on ${today}`)
  t.equal(stageStatus(cal, '2026-03-06', 0, '2026-03-09'), 'very_overdue', 'a zero-day limit is very overdue after one late working day')
  t.equal(stageStatus(cal, '2026-03-06', 5, '2026-03-07'), 'overdue', 'late over a weekend, no working day lost yet')
})

t.test('valid dates', async (t) => {
  for (const good of ['2026-02-28', '2024-02-29', '2026-12-31']) t.ok(isValidDate(good), good)
  for (const bad of ['2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '26-02-01', '2026-2-1', '', null, 20260201, '2026-02-01T00:00']) {
    t.notOk(isValidDate(bad), String(bad))
  }
  t.throws(() => computeDueDate(cal, '2026-02-30', 3), RangeError)
  t.throws(() => computeDueDate(cal, '2026-02-03', -1), RangeError)
})

t.test('local dates follow the configured time zone, not the server clock', async (t) => {
  const { formatLocalDate, formatLocalDateTime } = await import('../../server/calendar/local-time.ts')
  // 23:30 in Shanghai on 2 March is 15:30 UTC: it belongs to 2 March there.
  const lateEvening = new Date('2026-03-02T15:30:00Z')
  t.equal(formatLocalDate(lateEvening, 'Asia/Shanghai'), '2026-03-02')
  t.equal(formatLocalDateTime(lateEvening, 'Asia/Shanghai'), '2026-03-02 23:30')
  // 00:30 in Shanghai on 3 March is still 2 March in UTC.
  const afterMidnight = new Date('2026-03-02T16:30:00Z')
  t.equal(formatLocalDate(afterMidnight, 'Asia/Shanghai'), '2026-03-03')
  t.equal(formatLocalDate(afterMidnight, 'UTC'), '2026-03-02')
})

t.test('working days between two dates: the precomputed count agrees with walking the days, over years and holidays', async (t) => {
  const calendar = new Map<string, CalendarOverride>([
    ['2026-02-16', { kind: 'holiday', name: '春节' }],
    ['2026-02-17', { kind: 'holiday', name: '春节' }],
    ['2026-02-28', { kind: 'workday', name: '春节调休' }],
  ])
  // A pause outside the range changes nothing but makes the function walk every day.
  const walk = (from: string, to: string) => workingDaysBetween(calendar, from, to, [{ from: '1990-01-01', to: '1990-01-02' }])
  const pairs: [string, string][] = [['2026-02-13', '2026-03-02'], ['2025-11-24', '2026-11-24'], ['2016-11-24', '2026-11-24'], ['2026-03-02', '2026-02-13'], ['2026-02-28', '2026-02-28']]
  for (const [from, to] of pairs) t.equal(workingDaysBetween(calendar, from, to), walk(from, to), `${from} → ${to}`)
  t.equal(workingDaysBetween(calendar, '2026-02-13', '2026-03-02'), 10, '16 and 17 February off, Saturday 28 February worked')
  t.equal(workingDaysBetween(calendar, '1999-12-30', '2000-01-04'), 3, 'a range starting before the precomputed years still counts: 31 Dec, 3 and 4 Jan')
})
