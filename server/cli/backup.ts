import path from 'node:path'
import { loadConfig } from '../config/config.ts'
import { openDatabase } from '../db/open.ts'
import { backupDatabase, restoreDatabase } from '../backup/backup.ts'

// `npm run backup -- DIR` and `npm run restore -- DIR` (restore into an empty, migrated database).
const [command, dirArg] = process.argv.slice(2)
if (!['backup', 'restore'].includes(command) || !dirArg) {
  console.error('usage: npm run backup -- DIR   |   npm run restore -- DIR')
  process.exit(2)
}
const dir = path.resolve(dirArg)
const database = await openDatabase(loadConfig(), undefined, { migrate: true })
let code = 0
try {
  if (command === 'backup') {
    const m = await backupDatabase(database.url, dir)
    console.log(`Backup of ${m.tables.length} tables (${m.tables.reduce((n, t) => n + t.rows, 0)} rows) at snapshot ${m.takenAt} written to ${dir}`)
  } else {
    const m = await restoreDatabase(database.url, dir)
    console.log(`Restored ${m.tables.reduce((n, t) => n + t.rows, 0)} rows from the snapshot of ${m.takenAt}`)
  }
} catch (error) {
  console.error(`${command} failed: ${(error as Error).message}`)
  code = 1
} finally {
  await database.close()
}
process.exit(code)
