import t from 'tap'
import { createTestDatabase } from '../fixtures/database.ts'
import { makeOrg } from '../fixtures/factories.ts'
import { createDb, createPool } from '../../server/db/connect.ts'
import { loadCalendar } from '../../server/calendar/calendar.repository.ts'
import { computeDueDate } from '../../server/calendar/working-days.ts'

/**
 * Each process keeps the calendar; another instance's edit must count in this one's deadlines from
 * the first load after it committed, not when a cache expires. Instance A writes straight to the
 * tables (as its calendar pages do, in a transaction); instance B only loads.
 */
t.test("another instance's calendar edit counts at once in this one's deadlines", async (t) => {
  const a = await createTestDatabase(t)
  const b = createDb(createPool(a.url, 2))
  t.teardown(() => b.destroy())
  const org = await makeOrg(a.db)
  const due = async (countyId?: number) => computeDueDate(await loadCalendar(b, countyId), '2026-12-07', 1).due

  const plain = await due()
  t.equal(await due(org.countyId), plain, 'no days off: the county counts as the nation does')
  const reads = async () => Number((await b.selectFrom('calendarVersion').select('version').executeTakeFirstOrThrow()).version)
  const version = await reads()
  t.equal(await due(), plain, 'loaded again unchanged: kept')

  // A: a national holiday on that day, in a transaction that is still open — B must not see it yet.
  await a.db.transaction().execute(async (trx) => {
    await trx.insertInto('calendarDays').values({ date: plain, kind: 'holiday', name: '测试假日' }).execute()
    t.equal(await due(), plain, 'before the edit commits, B counts as before')
  })
  t.ok((await reads()) > version, 'the edit raised the calendar version')
  const moved = await due()
  t.ok(moved > plain, `committed: B's due date moves at once (${plain} → ${moved})`)
  t.equal(await due(org.countyId), moved, "and the county's")

  // A: the county's own day off on the new date; the national calendar is untouched.
  await a.db.insertInto('regionalHolidays').values({ countyId: org.countyId, date: moved, name: '县庆' }).execute()
  const county = await due(org.countyId)
  t.ok(county > moved, `a county day off moves the county's date at once (${moved} → ${county})`)
  t.equal(await due(), moved, 'and not the national one')

  // A: both undone.
  await a.db.updateTable('regionalHolidays').set({ removedAt: new Date().toISOString() }).where('countyId', '=', org.countyId).execute()
  await a.db.deleteFrom('calendarDays').where('date', '=', plain).execute()
  t.equal(await due(), plain, 'the holiday removed: back at once')
  t.equal(await due(org.countyId), plain, 'the county day off removed: back at once')
})
