import t from 'tap'
import { sql } from 'kysely'
import { createTestDatabase } from '../fixtures/database.ts'
import { makeOrg } from '../fixtures/factories.ts'
import { nameContains } from '../../server/applicants/name-search.ts'

// Name search by any part of a name through the pairs index (issue 18): what a user types finds
// the names that contain it, and nothing else.

t.test('a name is found by any run of its characters, one character included; nothing else matches', async (t) => {
  const { db } = await createTestDatabase(t)
  const org = await makeOrg(db)
  const names = ['张小三', '李小三丰', '王五', '欧阳三', 'Zhang Xiaosan', '小']
  await db.insertInto('applicants').values(names.map((name, i) => ({ countyId: org.countyId, villageId: org.villages[0].id, name, phone: `1390000000${i}` }))).execute()
  const find = async (text: string) =>
    (await db.selectFrom('applicants').select('name').where(nameContains(text)).orderBy('id').execute()).map((r) => r.name)
  t.same(await find('小三'), ['张小三', '李小三丰'], 'a two-character given name finds the full names')
  t.same(await find('三'), ['张小三', '李小三丰', '欧阳三'], 'one character')
  t.same(await find('小三丰'), ['李小三丰'])
  t.same(await find('三小'), [], 'the pairs of a name are in order: 三小 is in none')
  t.same(await find('张三'), [], 'characters that are in a name but not next to each other are no match')
  t.same(await find('xiaos'), ['Zhang Xiaosan'], 'letters match whatever their case')
  t.same(await find('%'), [], 'a wildcard character is a character like any other')
  t.same(await find('小'), ['张小三', '李小三丰', '小'])

  // The pairs are the database's: a renamed applicant is found by the new name at once.
  await db.updateTable('applicants').set({ name: '王五六' }).where('name', '=', '王五').execute()
  t.same(await find('五六'), ['王五六'])

  // And the index serves the search (on a table this small the planner must be told not to read it whole).
  const plan = await db.connection().execute(async (c) => {
    await sql`set enable_seqscan = off`.execute(c)
    const rows = await sql<{ 'QUERY PLAN': string }>`explain select id from applicants where ${nameContains('小三')}`.execute(c)
    return rows.rows.map((r) => r['QUERY PLAN']).join('\n')
  })
  t.match(plan, 'applicants_name_grams_idx')
})
