import type { Db } from '../db/connect.ts'
import type { Department, FeeKind } from '../db/schema.ts'

export interface JournalFilter {
  villageId: number
  from: string
  to: string
  kind?: FeeKind
  department?: Department
  timeFrom?: string
  timeTo?: string
  reversalsOnly?: boolean
}

/** 流水查询: entries of a station by date, type and time of day, oldest first. */
export function listJournal(db: Db, f: JournalFilter, timeZone: string) {
  let q = db
    .selectFrom('feeEntries as e')
    .innerJoin('users', 'users.id', 'e.enteredBy')
    .leftJoin('cases', 'cases.id', 'e.caseId')
    .leftJoin('feeEntries as r', 'r.reversesId', 'e.id')
    .leftJoin('feeEntries as o', 'o.id', 'e.reversesId')
    .select([
      'e.id', 'e.serial', 'e.day', 'e.kind', 'e.amountFen', 'e.department', 'e.payer', 'e.applicantId', 'e.note', 'e.enteredAt', 'e.reversesId',
      'users.displayName as enteredByName', 'cases.caseNo', 'r.serial as reversedBySerial', 'o.serial as reversesSerial',
    ])
    .where('e.villageId', '=', f.villageId)
    .where('e.day', '>=', f.from)
    .where('e.day', '<=', f.to)
  if (f.kind) q = q.where('e.kind', '=', f.kind)
  if (f.department) q = q.where('e.department', '=', f.department)
  if (f.reversalsOnly) q = q.where('e.kind', '=', 'reversal')
  if (f.timeFrom) q = q.where((eb) => eb(eb.fn('to_char', [eb.fn('timezone', [eb.val(timeZone), eb.ref('e.enteredAt')]), eb.val('HH24:MI')]), '>=', f.timeFrom!))
  if (f.timeTo) q = q.where((eb) => eb(eb.fn('to_char', [eb.fn('timezone', [eb.val(timeZone), eb.ref('e.enteredAt')]), eb.val('HH24:MI')]), '<=', f.timeTo!))
  return q.orderBy('e.id').limit(5000).execute()
}

/** 营业日报: per day and business type, sums of each kind, exact in fen. */
export function dailyReport(db: Db, villageId: number, from: string, to: string) {
  return db
    .selectFrom('feeEntries')
    .select((eb) => [
      'day',
      'department',
      eb.fn.sum<string>(eb.case().when('kind', '=', 'collect').then(eb.ref('amountFen')).else(0).end()).as('collected'),
      eb.fn.sum<string>(eb.case().when('kind', '=', 'refund').then(eb.ref('amountFen')).else(0).end()).as('refunded'),
      eb.fn.sum<string>(eb.case().when('kind', '=', 'remit').then(eb.ref('amountFen')).else(0).end()).as('remitted'),
      eb.fn.sum<string>(eb.case().when('kind', '=', 'reversal').then(eb.ref('amountFen')).else(0).end()).as('reversed'),
      eb.fn.sum<string>('amountFen').as('net'),
      eb.fn.countAll<string>().as('entries'),
    ])
    .where('villageId', '=', villageId)
    .where('day', '>=', from)
    .where('day', '<=', to)
    .groupBy(['day', 'department'])
    .orderBy('day')
    .orderBy('department')
    .execute()
}

export function listSettlements(db: Db, villageId: number, day: string) {
  return Promise.all([
    db.selectFrom('agentSettlements').innerJoin('users', 'users.id', 'agentSettlements.agentId').select(['agentSettlements.id', 'agentSettlements.totals', 'agentSettlements.totalFen', 'agentSettlements.settledAt', 'users.displayName']).where('agentSettlements.villageId', '=', villageId).where('day', '=', day).orderBy('agentSettlements.id', 'desc').execute(),
    db.selectFrom('stationSettlements').innerJoin('users', 'users.id', 'stationSettlements.settledBy').selectAll('stationSettlements').select('users.displayName').where('stationSettlements.villageId', '=', villageId).where('day', '=', day).executeTakeFirst(),
  ])
}
