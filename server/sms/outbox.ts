import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
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

/** Sends what is due; each message is locked while it is sent, so two instances never send one twice. */
export async function deliverSms(db: Db, sender: SmsSender, now: Date, batch = 50): Promise<number> {
  let sent = 0
  for (let i = 0; i < batch; i++) {
    const done = await db.transaction().execute(async (trx) => {
      const msg = await trx.selectFrom('smsOutbox').selectAll().where('status', '=', 'pending').where('nextAttemptAt', '<=', now).orderBy('id').limit(1).forUpdate().skipLocked().executeTakeFirst()
      if (!msg) return null
      try {
        await sender.send(msg.phone, msg.body)
        await trx.updateTable('smsOutbox').set({ status: 'sent', sentAt: now, attempts: msg.attempts + 1 }).where('id', '=', msg.id).execute()
        return true
      } catch (error) {
        const attempts = msg.attempts + 1
        const wait = BACKOFF_MINUTES[attempts - 1]
        await trx
          .updateTable('smsOutbox')
          .set({
            attempts,
            lastError: String((error as Error).message ?? error).slice(0, 500),
            status: wait === undefined ? 'failed' : 'pending',
            nextAttemptAt: wait === undefined ? msg.nextAttemptAt : sql<Date>`${now}::timestamptz + make_interval(mins => ${wait})`,
          })
          .where('id', '=', msg.id)
          .execute()
        return false
      }
    })
    if (done === null) break
    if (done) sent++
  }
  return sent
}
