import { parseArgs } from 'node:util'
import { readFileSync } from 'node:fs'
import { importCalendarYear, CalendarImportRefused } from '../calendar/calendar.service.ts'
import { createInterface } from 'node:readline/promises'
import { loadConfig } from '../config/config.ts'
import { openDatabase } from '../db/open.ts'
import { createUser } from '../accounts/users.service.ts'
import { ROLES, type Role } from '../db/schema.ts'
import { RuleViolation } from '../errors/errors.ts'
import { translate } from '../i18n/i18n.ts'
import { idVault } from '../privacy/id-vault.ts'
import { rotatePiiKey } from '../privacy/rotate-key.ts'
import { runRecordedJob } from '../jobs/run-job.ts'
import { anonymiseDormantApplicants, purgeExpiredAccessRecords } from '../privacy/retention.ts'

const HELP = `Bianmin operator commands

  npm run admin -- create-county --code CODE --name NAME
      Creates the county a fresh production install serves (once).

  npm run admin -- create-user --role admin --username NAME [--password PASSWORD] [--display-name NAME] [--county CODE]
      Creates a user. Without --password it is asked for (not echoed on a terminal).
      Roles: ${ROLES.join(', ')}. Agents, clerks and town supervisors are better created on the admin pages,
      where their village, window or town is chosen.

  npm run admin -- import-calendar --year YEAR --file FILE.json
      Enters a year's holiday and make-up-workday schedule (the format of /schemas/calendar-year.json).
      With several counties this is the only way to change the shared schedule.

  npm run admin -- rotate-pii-key
      Makes a new key current in the keyring that seals ID numbers (DATA_DIR/pii-keys.json or
      PII_KEY_FILE), re-seals every ID number under it and drops the keys no longer used.
      Safe while the server runs. Keep a copy of the keyring with the backups, apart from them.

  npm run admin -- anonymise
      Anonymises the applicants with no case or visit for ANONYMISE_AFTER_YEARS years (default 5)
      and no open case, as the nightly job does: name reduced, ID number, phone and address removed,
      cases kept for the statistics. Prints how many.

  npm run admin -- purge-access-records
      Deletes the records of who saw whose personal data older than ACCESS_RECORD_YEARS years
      (default and minimum 3), as the nightly job does. Prints how many.

  npm run admin -- --help
      This text.
`

async function askPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin })
    for await (const line of rl) return line.trim()
    return ''
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true })
  // Hide what is typed.
  const write = (rl as unknown as { _writeToOutput: (s: string) => void })
  const original = write._writeToOutput.bind(rl)
  write._writeToOutput = (s: string) => original(s.includes('Password') ? s : '')
  const answer = await rl.question('Password: ')
  rl.close()
  process.stdout.write('\n')
  return answer
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      role: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'display-name': { type: 'string' },
      county: { type: 'string' },
      code: { type: 'string' },
      name: { type: 'string' },
      year: { type: 'string' },
      file: { type: 'string' },
    },
  })
  const command = positionals[0]
  if (values.help || !command) {
    console.log(HELP)
    return command || values.help ? 0 : 1
  }
  if (!['create-county', 'create-user', 'import-calendar', 'rotate-pii-key', 'anonymise', 'purge-access-records'].includes(command)) {
    console.error(`Unknown command: ${command}`)
    console.error('Run with --help for the commands.')
    return 2
  }
  let database
  let config
  try {
    config = loadConfig()
    database = await openDatabase(config)
  } catch (error) {
    console.error(`Cannot open the database: ${(error as Error).message}${(error as Error).cause ? ` (${((error as Error).cause as Error).message})` : ''}`)
    return 1
  }
  try {
    if (command === 'create-county') {
      if (!values.code || !values.name) throw new UsageError('create-county needs --code and --name')
      const { id } = await database.db.insertInto('counties').values({ code: values.code, name: values.name }).returning('id').executeTakeFirstOrThrow()
      console.log(`County ${values.name} created (id ${id}).`)
      return 0
    }
    if (command === 'import-calendar') {
      const year = Number(values.year)
      if (!Number.isInteger(year) || !values.file) throw new UsageError('import-calendar needs --year and --file')
      try {
        const days = await importCalendarYear(database.db, null, year, JSON.parse(readFileSync(values.file, 'utf8')), new Date())
        console.log(`${year}: ${days} days of holidays and make-up working days entered.`)
        return 0
      } catch (error) {
        if (error instanceof CalendarImportRefused) {
          for (const p of error.problems) console.error(`${p.path}: ${p.message}`)
          return 2
        }
        throw error
      }
    }
    if (command === 'rotate-pii-key') {
      const { keyId, resealed, dropped } = await rotatePiiKey(database.db, idVault())
      console.log(`Key ${keyId} is current: ${resealed} ID numbers re-sealed${dropped.length ? `; keys ${dropped.join(', ')} dropped` : ''}.`)
      return 0
    }
    if (command === 'anonymise' || command === 'purge-access-records') {
      // Under the nightly job's name: recorded on the jobs page, and never run twice at once.
      const run =
        command === 'anonymise'
          ? await runRecordedJob(database.db, 'anonymise-dormant-applicants', () => anonymiseDormantApplicants(database.db, new Date(), { years: config.anonymiseAfterYears, timeZone: config.timeZone }))
          : await runRecordedJob(database.db, 'purge-access-records', () => purgeExpiredAccessRecords(database.db, new Date(), { years: config.accessRecordYears }))
      if (!run.ran) {
        console.error('The job is running elsewhere now; try again when it has finished.')
        return 1
      }
      if (run.error) {
        console.error(`The job failed: ${run.error}`)
        return 1
      }
      console.log(
        command === 'anonymise'
          ? `${run.rows} applicant files anonymised (no case or visit for ${config.anonymiseAfterYears} years).`
          : `${run.rows} access records older than ${Math.max(3, config.accessRecordYears)} years deleted.`,
      )
      return 0
    }
    if (command === 'create-user') {
      const role = values.role as Role
      if (!ROLES.includes(role)) throw new UsageError(`--role must be one of: ${ROLES.join(', ')}`)
      if (!values.username) throw new UsageError('create-user needs --username')
      const countyQuery = database.db.selectFrom('counties').select(['id', 'code'])
      const counties = await (values.county ? countyQuery.where('code', '=', values.county) : countyQuery).execute()
      if (counties.length === 0) throw new UsageError('No county found: run create-county first (or name it with --county CODE).')
      if (counties.length > 1) throw new UsageError('Several counties exist: name one with --county CODE.')
      const password = values.password ?? (await askPassword())
      const userId = await createUser(database.db, null, counties[0].id, {
        username: values.username,
        displayName: values['display-name'] ?? values.username,
        phone: '',
        role,
        password,
      })
      console.log(`User ${values.username} (${role}) created (id ${userId}).`)
      return 0
    }
    return 2
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message)
      console.error('Run with --help for the commands.')
      return 2
    }
    if (error instanceof RuleViolation) {
      console.error(translate('en', error.key, error.params))
      return 2
    }
    throw error
  } finally {
    await database.close()
  }
}

class UsageError extends Error {}

// Exit explicitly: the code must reach the shell (tsx relays an explicit exit).
process.exit(await main(process.argv.slice(2)))
