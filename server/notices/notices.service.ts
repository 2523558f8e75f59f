import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import { scopeOf } from '../accounts/actor.ts'
import { NotFound, RuleViolation, Forbidden } from '../errors/errors.ts'
import { isValidDate, isValidMonth } from '../calendar/working-days.ts'
import { monthBounds, monthOf } from '../supervision/months.ts'
import { maskName } from '../privacy/mask.ts'
import { recordAudit } from '../audit/audit.ts'
import { findVillageInScope } from '../org/org.repository.ts'

/** Published text is plain text: no markup is stored, and the page escapes what is shown. */
function plainText(value: string, max: number): string {
  return value.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim().slice(0, max)
}

export interface AnnouncementInput {
  title: string
  body: string
  shownFrom: string
  shownTo: string
  replacesId: string | null
}

/** An announcement goes up at once; to change one, withdraw it and publish a new version. */
export async function publishAnnouncement(db: Db, actor: Actor, input: AnnouncementInput, now: Date): Promise<string> {
  if (actor.role !== 'agent' || !actor.villageId) throw new Forbidden()
  const title = plainText(input.title, 100)
  const body = plainText(input.body, 5000)
  if (!title) throw new RuleViolation('validation.required', 'title')
  if (!body) throw new RuleViolation('validation.required', 'body')
  if (!isValidDate(input.shownFrom)) throw new RuleViolation('validation.date', 'shownFrom')
  if (input.shownTo && (!isValidDate(input.shownTo) || input.shownTo < input.shownFrom)) throw new RuleViolation('notices.periodOrder', 'shownTo')
  return db.transaction().execute(async (trx) => {
    const village = await trx.selectFrom('villages').select('townId').where('id', '=', actor.villageId!).executeTakeFirstOrThrow()
    if (input.replacesId) {
      const old = await trx.selectFrom('notices').select(['id', 'status']).where('id', '=', input.replacesId).where('villageId', '=', actor.villageId!).executeTakeFirst()
      if (!old || old.status !== 'withdrawn') throw new RuleViolation('notices.replaceWithdrawnOnly')
    }
    const { id } = await trx
      .insertInto('notices')
      .values({
        countyId: actor.countyId, townId: village.townId, villageId: actor.villageId!, kind: 'announcement', title, content: JSON.stringify({ body }),
        shownFrom: input.shownFrom, shownTo: input.shownTo || null, status: 'published', replacesId: input.replacesId, createdBy: actor.id, publishedAt: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'notice.published', subjectType: 'notice', subjectId: id, data: { kind: 'announcement', replaces: input.replacesId } })
    return id
  })
}

/** Withdrawing keeps the notice and its reason in the board's history. */
export async function withdrawNotice(db: Db, actor: Actor, noticeId: string, reason: string, now: Date): Promise<void> {
  if (actor.role !== 'agent' && actor.role !== 'supervisor') throw new Forbidden()
  await db.transaction().execute(async (trx) => {
    const notice = await trx.selectFrom('notices').selectAll().where('id', '=', noticeId).forUpdate().executeTakeFirst()
    // Another station's notice is not found, whatever else is wrong with the request.
    if (!notice || !(await findVillageInScope(trx, scopeOf(actor), notice.villageId))) throw new NotFound()
    if (!reason.trim()) throw new RuleViolation('validation.required', 'reason')
    if (notice.status === 'withdrawn') throw new RuleViolation('notices.alreadyWithdrawn')
    await trx.updateTable('notices').set({ status: 'withdrawn', withdrawnReason: reason.trim(), withdrawnBy: actor.id, withdrawnAt: now }).where('id', '=', noticeId).execute()
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'notice.withdrawn', subjectType: 'notice', subjectId: noticeId, data: { reason: reason.trim() } })
  })
}

/** The month's handled cases, masked, as the station prepares them for the board. */
export async function monthlyListContent(db: Db, villageId: number, month: string) {
  const { first, next } = monthBounds(month)
  const rows = await db
    .selectFrom('cases')
    .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .select(['applicants.name', 'matterVersions.name as matterName', 'cases.acceptedOn', 'cases.completedOn', 'cases.outcome'])
    .where('cases.villageId', '=', villageId)
    // Sensitive matters are never listed, however masked (see migration 2026_11_26_003).
    .where('matterVersions.keepOffPublicList', '=', false)
    .where('cases.completedOn', '>=', first)
    .where('cases.completedOn', '<', next)
    .orderBy('cases.completedOn')
    .orderBy('cases.id')
    .execute()
  return { rows: rows.map((r) => ({ name: maskName(r.name), matter: r.matterName, acceptedOn: r.acceptedOn, completedOn: r.completedOn, outcome: r.outcome })) }
}

/** The station prepares the month's list; it waits for the town supervisor, or the 5th of the next month. */
export async function prepareMonthlyList(db: Db, actor: Actor, month: string, today: string): Promise<string> {
  if (actor.role !== 'agent' || !actor.villageId) throw new Forbidden()
  if (!isValidMonth(month) || monthBounds(month).first > today) throw new RuleViolation('notices.monthInvalid', 'month')
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('notices').select('id').where('villageId', '=', actor.villageId!).where('kind', '=', 'monthly_list').where('month', '=', month).where('status', '!=', 'withdrawn').executeTakeFirst()
    if (existing) throw new RuleViolation('notices.monthExists', 'month')
    const village = await trx.selectFrom('villages').select('townId').where('id', '=', actor.villageId!).executeTakeFirstOrThrow()
    const content = await monthlyListContent(trx, actor.villageId!, month)
    const { id } = await trx
      .insertInto('notices')
      .values({ countyId: actor.countyId, townId: village.townId, villageId: actor.villageId!, kind: 'monthly_list', title: `${month} 代办事项办理情况`, content: JSON.stringify(content), shownFrom: today, status: 'pending', month, createdBy: actor.id })
      .returning('id')
      .executeTakeFirstOrThrow()
    return id
  })
}

export async function approveMonthlyList(db: Db, actor: Actor, noticeId: string, now: Date): Promise<void> {
  if (actor.role !== 'supervisor') throw new Forbidden()
  await db.transaction().execute(async (trx) => {
    const notice = await trx.selectFrom('notices').selectAll().where('id', '=', noticeId).where('kind', '=', 'monthly_list').forUpdate().executeTakeFirst()
    if (!notice || !(await findVillageInScope(trx, scopeOf(actor), notice.villageId))) throw new NotFound()
    if (notice.status !== 'pending') throw new RuleViolation('notices.notPending')
    await trx.updateTable('notices').set({ status: 'published', approvedBy: actor.id, publishedAt: now }).where('id', '=', noticeId).execute()
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'notice.approved', subjectType: 'notice', subjectId: noticeId })
  })
}

/** From the 5th of the following month, a prepared list still waiting is published without approval. */
export async function publishOverdueMonthlyLists(db: Db, today: string, now: Date): Promise<number> {
  if (Number(today.slice(8, 10)) < 5) return 0
  const thisMonth = monthOf(today)
  const result = await db
    .updateTable('notices')
    .set({ status: 'published', publishedAt: now })
    .where('kind', '=', 'monthly_list')
    .where('status', '=', 'pending')
    .where('month', '<', thisMonth)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
