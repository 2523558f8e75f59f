import zhCN from './zh-CN.json' with { type: 'json' }
import en from './en.json' with { type: 'json' }

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]
export const DEFAULT_LOCALE: Locale = 'zh-CN'

type Messages = { [key: string]: string | Messages }
const catalogues: Record<Locale, Messages> = { 'zh-CN': zhCN, en }

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

function lookup(messages: Messages, key: string): string | undefined {
  let node: string | Messages | undefined = messages
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined
    node = node[part]
  }
  return typeof node === 'string' ? node : undefined
}

/** Translates `key`, filling `{name}` placeholders. A missing key shows itself, so it is noticed, never crashes. */
export function translate(locale: Locale, key: string, params: Record<string, unknown> = {}): string {
  const text = lookup(catalogues[locale], key) ?? lookup(catalogues[DEFAULT_LOCALE], key) ?? key
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name] ?? '') : whole))
}

export function hasMessage(locale: Locale, key: string): boolean {
  return lookup(catalogues[locale], key) !== undefined
}

/** Every key of a catalogue, for the test that keeps both languages complete. */
export function messageKeys(locale: Locale): string[] {
  const keys: string[] = []
  const walk = (node: Messages, prefix: string) => {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string') keys.push(prefix + k)
      else walk(v, prefix + k + '.')
    }
  }
  walk(catalogues[locale], '')
  return keys.sort()
}

export type Translate = (key: string, params?: Record<string, unknown>) => string
export const translator = (locale: Locale): Translate => (key, params) => translate(locale, key, params)
