import type Handlebars from 'handlebars'
import { translate, isLocale, DEFAULT_LOCALE, type Locale } from '../i18n/i18n.ts'
import { formatLocalDate, formatLocalDateTime } from '../calendar/local-time.ts'
import { formatFen } from '../fees/money.ts'
import { isProvisional } from '../calendar/working-days.ts'
import { knownLastPublishedYear } from '../calendar/calendar.repository.ts'

type HelperOptions = Handlebars.HelperOptions

function localeOf(options: HelperOptions): Locale {
  const locale = options?.data?.root?.locale
  return isLocale(locale) ? locale : DEFAULT_LOCALE
}

function timeZoneOf(options: HelperOptions): string {
  return options?.data?.root?.timeZone ?? 'Asia/Shanghai'
}

export function hasEntries(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Object.values(value).some(Boolean)
}

/** Helpers only format and choose; anything that decides belongs in the route's view model. */
export function registerHelpers(hbs: typeof Handlebars): void {
  hbs.registerHelper('t', function (key: string, options: HelperOptions) {
    return translate(localeOf(options), key, options.hash)
  })
  // `tp "prefix" value` translates a coded value, e.g. a role or a department.
  hbs.registerHelper('tp', function (prefix: string, value: unknown, options: HelperOptions) {
    if (value === null || value === undefined || value === '') return ''
    return translate(localeOf(options), `${prefix}.${String(value)}`, options.hash)
  })
  hbs.registerHelper('eq', (a: unknown, b: unknown) => String(a) === String(b))
  hbs.registerHelper('ne', (a: unknown, b: unknown) => String(a) !== String(b))
  hbs.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean))
  hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean))
  hbs.registerHelper('not', (a: unknown) => !a)
  // Handlebars counts an empty object as true: `{{#if errors}}` on `{}` showed the error banner on
  // forms with nothing wrong. `(hasEntries errors)` is true only when some field has a message.
  hbs.registerHelper('hasEntries', (value: unknown) => hasEntries(value))
  hbs.registerHelper('includes', (list: unknown, value: unknown) => Array.isArray(list) && list.map(String).includes(String(value)))
  hbs.registerHelper('selected', (a: unknown, b: unknown) => (String(a) === String(b) ? 'selected' : ''))
  hbs.registerHelper('checked', (a: unknown) => (a === true || a === 'on' || a === 'true' || a === '1' ? 'checked' : ''))
  hbs.registerHelper('fmtDate', function (value: unknown, options: HelperOptions) {
    if (!value) return ''
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value
    return formatLocalDate(new Date(value as string), timeZoneOf(options))
  })
  hbs.registerHelper('fmtDateTime', function (value: unknown, options: HelperOptions) {
    if (!value) return ''
    return formatLocalDateTime(new Date(value as string), timeZoneOf(options))
  })
  hbs.registerHelper('yuan', (fen: unknown) => (fen === null || fen === undefined || fen === '' ? '' : formatFen(String(fen))))
  hbs.registerHelper('urlencode', (value: unknown) => encodeURIComponent(String(value ?? '')))
  hbs.registerHelper('array', (...args: unknown[]) => args.slice(0, -1))
  // The partial holding a case step's form: ask_assist → actions/ask-assist (views/cases/actions/ask-assist.hbs).
  hbs.registerHelper('stepForm', (action: unknown) => `actions/${String(action).replaceAll('_', '-')}`)
  hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''))
  hbs.registerHelper('pct', (value: unknown) => (value === null || value === undefined ? '—' : `${value}%`))
  hbs.registerHelper('add', (a: unknown, b: unknown) => Number(a) + Number(b))
  // A due date after the last published holiday schedule is 暂定 (calendar/working-days.ts decides);
  // before the schedule was ever read nothing is marked rather than everything.
  hbs.registerHelper('provisional', (date: unknown) => {
    const lastYear = knownLastPublishedYear()
    return lastYear !== undefined && typeof date === 'string' && isProvisional(date, lastYear)
  })
}
