import type { Translate } from '../i18n/i18n.ts'
import type { DueDate } from './working-days.ts'
import { weekday } from './working-days.ts'

/** The view model of a due date's explanation: what was counted, what was passed over and why. */
export function explanationView(result: DueDate, t: Translate) {
  const dayName = (date: string) => t(`calendar.weekday.${weekday(date)}`)
  return {
    ...result,
    countedRows: result.counted.map((date, i) => ({
      n: i + 1,
      date,
      day: dayName(date),
      makeUp: result.makeUpWorkdays.find((m) => m.date === date)?.name ?? '',
    })),
    skippedRows: result.skipped.map((s) => ({ ...s, day: dayName(s.date), reasonText: t(`calendar.reason.${s.reason}`) })),
  }
}

/** The link to a due date's explanation; every due date shown in the app uses it. */
export function explanationHref(start: string, days: number, unit: 'working' | 'calendar' = 'working', pauses: { from: string; to: string | null }[] = []): string {
  const params = new URLSearchParams({ start, days: String(days) })
  if (unit !== 'working') params.set('unit', unit)
  for (const p of pauses) if (p.to) params.append('pause', `${p.from}..${p.to}`)
  return `/deadline?${params}`
}
