/**
 * Dates in this product are local dates of the configured time zone (default Asia/Shanghai):
 * a case accepted at 23:30 local time belongs to that local date, whatever the server's zone.
 */
const dateFormatters = new Map<string, Intl.DateTimeFormat>()

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = dateFormatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
    dateFormatters.set(timeZone, f)
  }
  return f
}

function parts(instant: Date, timeZone: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of partsFormatter(timeZone).formatToParts(instant)) out[p.type] = p.value
  return out
}

/** 'YYYY-MM-DD' of an instant in the given zone. */
/** The zone of dates and deadlines unless APP_TIME_ZONE says otherwise. */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai'

export function formatLocalDate(instant: Date, timeZone: string): string {
  const p = parts(instant, timeZone)
  return `${p.year}-${p.month}-${p.day}`
}

/** 'YYYY-MM-DD HH:mm' of an instant in the given zone. */
export function formatLocalDateTime(instant: Date, timeZone: string): string {
  const p = parts(instant, timeZone)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}
