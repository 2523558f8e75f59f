import { sql, type Selectable } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Database } from '../db/schema.ts'
import { printTemplate } from '../printing/templates.ts'
import { maskPhone } from '../privacy/mask.ts'

export type SmsTemplate = 'result-ready' | 'extension' | 'posting'

/** Queues a text to the applicant of a case; call it inside the transaction of the step that causes it. */
export async function enqueueCaseSms(trx: Db, caseId: string, template: SmsTemplate, params: Record<string, unknown>, now: Date): Promise<void> {
  const c = await trx
    .selectFrom('cases')
    .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
    .innerJoin('villages', 'villages.id', 'cases.villageId')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .select(['cases.countyId', 'cases.caseNo', 'applicants.phone', 'villages.name as villageName', 'villages.stationPhone', 'matterVersions.name as matterName'])
    .where('cases.id', '=', caseId)
    .executeTakeFirstOrThrow()
  // Only mobile numbers receive texts.
  if (!/^1[3-9]\d{9}$/.test(c.phone)) return
  const body = printTemplate(`sms/${template}`)({ locale: 'zh-CN', station: c.villageName, matter: c.matterName, caseNo: c.caseNo, phone: c.stationPhone, ...params }).trim()
  await trx.insertInto('smsOutbox').values({ countyId: c.countyId, caseId, phone: c.phone, template, body, createdAt: now, nextAttemptAt: now }).execute()
}

export interface SmsSender {
  send(phone: string, body: string): Promise<void>
}

/** The default: texts go to the log, for a county without an SMS gateway yet. */
export class LogSender implements SmsSender {
  constructor(private log: (entry: object, message: string) => void) {}
  async send(phone: string, body: string): Promise<void> {
    // The applicant's number is personal data: the log keeps enough of it to tell texts apart.
    this.log({ phone: maskPhone(phone), body }, 'sms')
  }
}

/** Posts {phone, body} as JSON to the gateway; anything but 2xx is a failure to retry. */
export class WebhookSender implements SmsSender {
  constructor(private url: string, private timeoutMs = 10000) {}
  async send(phone: string, body: string): Promise<void> {
    const res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone, body }), signal: AbortSignal.timeout(this.timeoutMs) })
    if (!res.ok) throw new Error(`gateway answered ${res.status}`)
  }
}

/** Waits before each retry: 1 min, 5 min, 30 min, 2 h, 12 h; then the message is marked failed. */
export const BACKOFF_MINUTES = [1, 5, 30, 120, 720]

/** The outboxes that share the delivery loop below: the same columns, the same retry schedule. */
export type OutboxTable = 'smsOutbox' | 'ratingOutbox'
type OutboxRow<T extends OutboxTable> = Selectable<Database[T]>

/**
 * Sends what is due in an outbox, one row at a time: each row is locked while it is sent (FOR UPDATE
 * SKIP LOCKED), so two instances never send one twice; a failure waits BACKOFF_MINUTES, then fails.
 * `send` gets the transaction that holds the lock, to read what it sends.
 */
export async function deliverOutbox<T extends OutboxTable>(db: Db, table: T, send: (row: OutboxRow<T>, trx: Db) => Promise<void>, now: Date, batch = 50): Promise<number> {
  // One table of the two at a time; typed as the SMS outbox's shape, which both share.
  const outbox = table as 'smsOutbox'
  let sent = 0
  for (let i = 0; i < batch; i++) {
    const done = await db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom(outbox).selectAll().where('status', '=', 'pending').where('nextAttemptAt', '<=', now).orderBy('id').limit(1).forUpdate().skipLocked().executeTakeFirst()
      if (!row) return null
      try {
        await send(row as unknown as OutboxRow<T>, trx)
        await trx.updateTable(outbox).set({ status: 'sent', sentAt: now, attempts: row.attempts + 1 }).where('id', '=', row.id).execute()
        return true
      } catch (error) {
        const attempts = row.attempts + 1
        const wait = BACKOFF_MINUTES[attempts - 1]
        await trx
          .updateTable(outbox)
          .set({
            attempts,
            lastError: String((error as Error).message ?? error).slice(0, 500),
            status: wait === undefined ? 'failed' : 'pending',
            nextAttemptAt: wait === undefined ? row.nextAttemptAt : sql<Date>`${now}::timestamptz + make_interval(mins => ${wait})`,
          })
          .where('id', '=', row.id)
          .execute()
        return false
      }
    })
    if (done === null) break
    if (done) sent++
  }
  return sent
}

/** Sends the text messages that are due. */
export function deliverSms(db: Db, sender: SmsSender, now: Date, batch = 50): Promise<number> {
  return deliverOutbox(db, 'smsOutbox', (msg) => sender.send(msg.phone, msg.body), now, batch)
}
