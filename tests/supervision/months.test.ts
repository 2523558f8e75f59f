import t from 'tap'
import { monthBounds, monthOf } from '../../server/supervision/months.ts'

t.test('a month runs from its first day up to the first day of the next; the year turns over', async (t) => {
  const rows: [string, string, string, string][] = [
    // month, first, next, previous
    ['2026-01', '2026-01-01', '2026-02-01', '2025-12'],
    ['2026-02', '2026-02-01', '2026-03-01', '2026-01'],
    ['2026-09', '2026-09-01', '2026-10-01', '2026-08'],
    ['2026-10', '2026-10-01', '2026-11-01', '2026-09'],
    ['2026-12', '2026-12-01', '2027-01-01', '2026-11'],
    ['2028-02', '2028-02-01', '2028-03-01', '2028-01'],
  ]
  for (const [month, first, next, previous] of rows) t.same(monthBounds(month), { first, next, previous }, month)
})

t.test('the month of a day', async (t) => {
  t.equal(monthOf('2026-11-29'), '2026-11')
  t.equal(monthOf('2027-01-01'), '2027-01')
})
