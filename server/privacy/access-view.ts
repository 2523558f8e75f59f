import type { Translate } from '../i18n/i18n.ts'
import type { Actor } from '../accounts/actor.ts'
import type { Db } from '../db/connect.ts'
import { accessesOfApplicant, type AccessEntry } from './access-history.ts'

/**
 * An access said plainly, for a supervisor and for the villager alike: who (name and role: the
 * villager has the right to know), what was seen, and why (the page it was seen on, or the export).
 */
export interface AccessLine {
  at: Date
  kind: AccessEntry['kind']
  who: string
  what: string
  why: string
}

// The pages data is seen on, by the name people know them by. Anything else shows its address.
const PAGE_NAMES: [RegExp, string][] = [
  [/^\/applicants\/\d+\/access-report/, 'accessReport'],
  [/^\/applicants\/\d+/, 'applicantFile'],
  [/^\/cases\/\d+\/documents/, 'caseDocument'],
  [/^\/cases\/\d+/, 'case'],
  [/^\/cases\/?$/, 'caseSearch'],
  [/^\/ledger/, 'ledger'],
  [/^\/visits/, 'visits'],
  [/^\/fees/, 'fees'],
  [/^\/ratings\/export/, 'ratingsExport'],
  [/^\/imports/, 'imports'],
]

/** The page's name; its query is dropped, since a query may carry what was searched for (an ID number, a phone). */
export function pageName(page: string, t: Translate): string {
  const path = page.split('?')[0]
  const known = PAGE_NAMES.find(([pattern]) => pattern.test(path))
  return known ? t(`access.pages.${known[1]}`) : path
}

/** An export by the name people know it by (access.exportNames) and its format: ledger.xlsx → 台账 · XLSX; else as it was recorded. */
function exportName(name: string | null, t: Translate): string {
  if (!name) return ''
  const [, base, format] = /^(.*?)(?:\.([a-z]+))?$/.exec(name)!
  const key = `access.exportNames.${base}`
  const known = t(key)
  if (known === key) return name
  return format ? `${known} · ${format.toUpperCase()}` : known
}

export function describeAccess(entry: AccessEntry, t: Translate): AccessLine {
  const who = t('access.who', { name: entry.actorName, role: t(`roles.${entry.actorRole}`) })
  let what: string
  switch (entry.kind) {
    case 'reveal':
      what = t('access.what.reveal', { field: t(`access.fields.${entry.field ?? 'id_number'}`) })
      break
    case 'export':
      what = t('access.what.export', { name: exportName(entry.exportName, t), rows: entry.rowCount ?? 0 })
      break
    case 'report':
      what = t('access.what.report')
      break
  }
  return { at: entry.at, kind: entry.kind, who, what, why: pageName(entry.page, t) }
}

/** How many accesses the person file lists; the rest are in the access report. */
export const FILE_HISTORY_LIMIT = 50

/**
 * The access history shown at the foot of a person file: to supervisors and administrators only
 * (an agent sees the report link, not who looked); null for everyone else.
 */
export async function accessHistoryForFile(db: Db, actor: Actor, applicantId: number, timeZone: string, t: Translate): Promise<{ lines: AccessLine[]; total: number; truncated: boolean } | null> {
  if (actor.role !== 'supervisor' && actor.role !== 'admin') return null
  const { entries, total } = await accessesOfApplicant(db, actor.countyId, applicantId, {}, timeZone, FILE_HISTORY_LIMIT)
  return { lines: entries.map((e) => describeAccess(e, t)), total, truncated: total > entries.length }
}
