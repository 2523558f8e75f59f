import { sql, type SqlBool } from 'kysely'
import { rm } from 'node:fs/promises'
import type { Db } from '../db/connect.ts'
import { recordAudit } from '../audit/audit.ts'
import { OPEN_STAGES } from '../cases/case-rules.ts'
import { formatLocalDate } from '../calendar/local-time.ts'
import { maskName } from './mask.ts'

/**
 * How long personal information is kept (PIPL art. 19: no longer than its purpose needs; art. 47:
 * then deleted or made anonymous). Two nightly jobs (jobs/plugin.ts), also run by hand with
 * `npm run admin -- anonymise` and `npm run admin -- purge-access-records`.
 */

/** Files read per batch; each batch is anonymised in one transaction. */
const BATCH = 200

/** The instant and the local date `years` years before `now`: activity before both is old enough. */
function yearsBefore(now: Date, years: number, timeZone: string): { at: Date; date: string } {
  const at = new Date(now)
  at.setUTCFullYear(at.getUTCFullYear() - years)
  return { at, date: formatLocalDate(at, timeZone) }
}

interface DormantApplicant {
  id: number
  countyId: number
  name: string
  /** The local date of the file's latest activity: its creation, a case's dates, a visit. */
  lastActivity: string
}

/**
 * Applicants not yet anonymised whose whole history lies before the cut-off: the file was made
 * before it, and no case of theirs was registered, completed or changed on or after it, and no
 * visit of theirs was recorded on or after it. A case still open (case-rules.ts) keeps the file
 * whole however old it is: someone is still serving that person.
 */
async function findDormant(db: Db, cutoff: { at: Date; date: string }, timeZone: string, only: { afterId: number } | { ids: number[] }): Promise<DormantApplicant[]> {
  const which = 'ids' in only ? sql`a.id = any(${only.ids})` : sql`a.id > ${only.afterId}`
  const { rows } = await sql<DormantApplicant>`
    select a.id, a.county_id, a.name, greatest(
        (a.created_at at time zone ${timeZone})::date,
        (select max(greatest(c.registered_on, c.completed_on, (c.updated_at at time zone ${timeZone})::date)) from cases c where c.applicant_id = a.id),
        (select max(v.visit_date) from visits v where v.applicant_id = a.id)
      ) as last_activity
    from applicants a
    where a.anonymised_at is null and a.created_at < ${cutoff.at} and ${which}
      and not exists (select 1 from cases c where c.applicant_id = a.id
        and (c.stage in (${sql.join(OPEN_STAGES)}) or c.registered_on >= ${cutoff.date} or c.completed_on >= ${cutoff.date} or c.updated_at >= ${cutoff.at}))
      and not exists (select 1 from visits v where v.applicant_id = a.id and v.visited_at >= ${cutoff.at})
    order by a.id
    limit ${BATCH}`.execute(db)
  return rows
}

/**
 * Anonymises every applicant with no case or visit for `years` years and no open case: the name
 * is reduced (张小三 → 张*三, as masked on public pages), the ID number, phone and address are
 * removed, and one audit event per applicant records it by the system. Cases, visits, fees and
 * ratings are left as they are, so every statistic and the 台账 count the same afterwards; the
 * phone is also blanked in text messages already sent to that person. Returns how many.
 */
export async function anonymiseDormantApplicants(db: Db, now: Date, rule: { years: number; timeZone: string }): Promise<number> {
  const cutoff = yearsBefore(now, rule.years, rule.timeZone)
  let anonymised = 0
  let afterId = 0
  for (;;) {
    const candidates = await findDormant(db, cutoff, rule.timeZone, { afterId })
    if (candidates.length === 0) break
    anonymised += await db.transaction().execute(async (trx) => {
      // Lock the files, then ask again: a case or visit added meanwhile (its insert waits on this
      // lock through the foreign key) keeps the file whole.
      const ids = candidates.map((a) => a.id)
      await trx.selectFrom('applicants').select('id').where('id', 'in', ids).orderBy('id').forUpdate().execute()
      const dormant = await findDormant(trx, cutoff, rule.timeZone, { ids })
      for (const a of dormant) {
        await trx
          .updateTable('applicants')
          .set({ name: maskName(a.name), idNumberSealed: null, idNumberHash: null, phone: '', address: '', anonymisedAt: now })
          .where('id', '=', a.id)
          .execute()
        await recordAudit(trx, {
          countyId: a.countyId,
          actorId: null,
          action: 'applicant.anonymised',
          subjectType: 'applicant',
          subjectId: a.id,
          data: { afterYears: rule.years, lastActivity: a.lastActivity },
        })
      }
      if (dormant.length > 0) {
        // Pending messages are left to go out: a person with one waiting is not dormant anyway.
        await trx
          .updateTable('smsOutbox')
          .set({ phone: '' })
          .where('status', 'in', ['sent', 'failed'])
          .where('caseId', 'in', (eb) => eb.selectFrom('cases').select('id').where('applicantId', 'in', dormant.map((a) => a.id)))
          .execute()
      }
      return dormant.length
    })
    if (candidates.length < BATCH) break
    afterId = candidates[candidates.length - 1].id
  }
  return anonymised
}

/**
 * Deletes the records of who saw whose personal data once they are older than `years` years (never
 * fewer than three: migration 2026_12_06_012 refuses to delete younger rows), and records one
 * audit event per county that lost rows, with the count and the cut-off. Returns the count.
 */
export async function purgeExpiredAccessRecords(db: Db, now: Date, rule: { years: number }): Promise<number> {
  const years = Math.max(3, rule.years)
  return db.transaction().execute(async (trx) => {
    // The cut-off is reckoned by PostgreSQL, as the table's guard reckons its three years, so the
    // two never disagree about a leap day.
    const { rows: [{ cutoff }] } = await sql<{ cutoff: Date }>`select ${now}::timestamptz - make_interval(years => ${years}) as cutoff`.execute(trx)
    const { rows } = await sql<{ countyId: number; deleted: string }>`
      with gone as (delete from personal_data_access where at < ${cutoff} returning county_id)
      select county_id, count(*) as deleted from gone group by county_id order by county_id`.execute(trx)
    for (const r of rows) {
      await recordAudit(trx, {
        countyId: r.countyId,
        actorId: null,
        action: 'personal_data_access.purged',
        subjectType: 'personal_data_access',
        subjectId: r.countyId,
        data: { deleted: Number(r.deleted), before: cutoff.toISOString(), keptYears: years },
      })
    }
    return rows.reduce((sum, r) => sum + Number(r.deleted), 0)
  })
}

/**
 * Removes uploaded import workbooks `days` days after the last job that used them was made (a
 * workbook is named by its content, so one file can serve a dry run, its import and a later
 * re-upload): they hold the rows as typed, ID numbers in clear, in DATA_DIR where neither the
 * sealing nor the database's grants reach. A file a queued or running job still reads is kept.
 * The jobs keep their counts and problem list (masked) and say when the workbook went; one audit
 * event per county. Returns how many files were removed.
 */
export async function removeOldImportWorkbooks(db: Db, now: Date, rule: { days: number }): Promise<number> {
  const cutoff = new Date(now.getTime() - Math.max(1, rule.days) * 86_400_000)
  const stale = await db
    .selectFrom('importJobs')
    .select(['filePath', sql<number[]>`array_agg(distinct county_id)`.as('counties')])
    .where('workbookRemovedAt', 'is', null)
    .groupBy('filePath')
    .having((eb) => eb.fn.max('createdAt'), '<', cutoff)
    .having(sql<SqlBool>`bool_and(status not in ('queued', 'running'))`)
    .execute()
  const perCounty = new Map<number, number>()
  for (const { filePath, counties } of stale) {
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('importJobs').set({ workbookRemovedAt: now }).where('filePath', '=', filePath).where('workbookRemovedAt', 'is', null).execute()
      // Removed inside the transaction: should it fail, the jobs still say the workbook is there.
      await rm(filePath, { force: true })
    })
    for (const countyId of counties) perCounty.set(countyId, (perCounty.get(countyId) ?? 0) + 1)
  }
  for (const [countyId, files] of perCounty) {
    await recordAudit(db, { countyId, actorId: null, action: 'imports.workbooks_removed', subjectType: 'import_jobs', subjectId: countyId, data: { files, olderThanDays: rule.days } })
  }
  return stale.length
}
