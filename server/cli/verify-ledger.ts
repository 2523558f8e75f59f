import { loadConfig } from '../config/config.ts'
import { openDatabase } from '../db/open.ts'
import { verifyChain } from '../ledger/chain.ts'

// `npm run verify-ledger`: walks the hash chains of case events and fee entries; exit 1 on a break.
const database = await openDatabase(loadConfig())
let broken = false
try {
  for (const table of ['case_events', 'fee_entries'] as const) {
    const report = await verifyChain(database.db, table)
    if (report.firstBreak) {
      broken = true
      const b = report.firstBreak
      console.log(`${table}: BROKEN at row ${b.rowId} of station ${b.villageId} (${b.reason === 'content' ? 'the row was changed' : 'a row before it was removed or reordered'}); ${report.rows} rows checked`)
    } else {
      console.log(`${table}: intact — ${report.rows} rows in ${report.stations} station chains`)
    }
  }
} finally {
  await database.close()
}
process.exit(broken ? 1 : 0)
