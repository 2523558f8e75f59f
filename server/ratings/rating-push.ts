import type { Db } from '../db/connect.ts'
import { deliverOutbox } from '../sms/outbox.ts'
import { translator } from '../i18n/i18n.ts'
import { evaluationRecords, type EvaluationRecord } from './evaluation-record.ts'

/**
 * Queues a rating for the provincial platform; call it in the transaction that records the rating.
 * One row per rated case (a unique key), so queueing again adds nothing and nothing is pushed twice.
 */
export async function queueRatingPush(trx: Db, rating: { caseId: string; countyId: number }, now: Date): Promise<void> {
  await trx
    .insertInto('ratingOutbox')
    .values({ countyId: rating.countyId, caseId: rating.caseId, createdAt: now, nextAttemptAt: now })
    .onConflict((oc) => oc.column('caseId').doNothing())
    .execute()
}

export interface RatingSender {
  send(record: EvaluationRecord): Promise<void>
}

/** POSTs the record as JSON to RATING_PUSH_URL; anything but 2xx is a failure to retry. */
export class WebhookRatingSender implements RatingSender {
  constructor(private url: string, private timeoutMs = 10000) {}
  async send(record: EvaluationRecord): Promise<void> {
    const res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record), signal: AbortSignal.timeout(this.timeoutMs) })
    if (!res.ok) throw new Error(`platform answered ${res.status}`)
  }
}

/**
 * Pushes the queued ratings that are due, with the text messages' retry schedule and locking. The
 * record is built when it is sent, so it carries the rectification's state at that moment; in
 * Chinese, the platform's language.
 */
export function deliverRatings(db: Db, sender: RatingSender, now: Date, timeZone: string, batch = 50): Promise<number> {
  const t = translator('zh-CN')
  return deliverOutbox(
    db,
    'ratingOutbox',
    async (row, trx) => {
      const [record] = await evaluationRecords(trx, { caseId: row.caseId }, t, timeZone)
      if (!record) throw new Error('rating not found')
      await sender.send(record)
    },
    now,
    batch,
  )
}
