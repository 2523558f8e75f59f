import type { Translate } from '../i18n/i18n.ts'
import type { FieldErrors } from '../views/form-errors.ts'
import type { Material } from '../db/schema.ts'
import type { MatterInput, RuleProblem } from './matter-rules.ts'
import { formatFen, yuanToFen } from '../fees/money.ts'

/**
 * The admin form posts flat fields; materials come as parallel lists, one entry per row. Each
 * field is read by the parser below, whatever arrived, so a form refused by its schema is read the same.
 */
export type MatterForm = Record<string, unknown>

const str = (v: unknown) => (Array.isArray(v) ? String(v[0] ?? '') : String(v ?? '')).trim()
const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)])
const BLANK_MATERIAL_ROWS = 3

export const matterFormBody = {
  type: 'object',
  properties: Object.fromEntries([
    ...['code', 'name', 'department', 'caseType', 'notProxiableReason', 'legalBasis', 'conditions', 'procedure', 'statutoryLimit', 'promisedLimit', 'limitUnit', 'forwardLimit', 'replyLimit', 'feeYuan', 'feeBasis', 'complaintChannel', 'postingRounds', 'postingDays', 'proxiable', 'silenceConsent', 'keepOffPublicList', 'active'].map((f) => [f, { type: 'string', maxLength: 4000 }]),
    ...['serviceForms', 'postingFields', 'materialName', 'materialForm', 'materialCopies', 'materialRequired', 'materialNote'].map((f) => [f, { type: 'array', maxItems: 60, items: { type: 'string', maxLength: 200 } }]),
  ]),
} as const

/** Reads the form into a matter; numbers that are not numbers are reported per field. */
export function matterFromForm(form: MatterForm, t: Translate): { input: MatterInput; errors: FieldErrors } {
  const errors: FieldErrors = {}
  const int = (field: string, fallback?: number) => {
    const text = str(form[field])
    if (text === '' && fallback !== undefined) return fallback
    if (!/^\d{1,3}$/.test(text)) {
      errors[field] = t('validation.number')
      return 0
    }
    return Number(text)
  }
  const names = list(form.materialName)
  const materials: Material[] = []
  names.forEach((name, i) => {
    if (!name.trim()) return
    const copies = Number(list(form.materialCopies)[i] ?? '1')
    materials.push({
      name: name.trim(),
      form: (list(form.materialForm)[i] ?? 'original') as Material['form'],
      copies: Number.isInteger(copies) && copies > 0 ? copies : 1,
      required: (list(form.materialRequired)[i] ?? 'yes') === 'yes',
      note: (list(form.materialNote)[i] ?? '').trim(),
    })
  })
  const feeFen = yuanToFen(str(form.feeYuan))
  if (feeFen === null) errors.feeYuan = t('validation.money')
  const input: MatterInput = {
    code: str(form.code),
    name: str(form.name),
    department: str(form.department) as MatterInput['department'],
    caseType: str(form.caseType) as MatterInput['caseType'],
    serviceForms: list(form.serviceForms) as MatterInput['serviceForms'],
    proxiable: str(form.proxiable) === 'on',
    notProxiableReason: str(form.notProxiableReason),
    materials,
    legalBasis: str(form.legalBasis),
    conditions: str(form.conditions),
    procedure: str(form.procedure)
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean),
    statutoryLimit: int('statutoryLimit'),
    promisedLimit: int('promisedLimit'),
    limitUnit: (str(form.limitUnit) || 'working') as MatterInput['limitUnit'],
    forwardLimit: int('forwardLimit', 3),
    replyLimit: int('replyLimit', 2),
    feeFen: feeFen ?? 0,
    feeBasis: str(form.feeBasis),
    complaintChannel: str(form.complaintChannel),
    silenceConsent: str(form.silenceConsent) === 'on',
    keepOffPublicList: str(form.keepOffPublicList) === 'on',
    postingRounds: int('postingRounds', 0),
    postingDays: int('postingDays', 0),
    postingFields: list(form.postingFields) as MatterInput['postingFields'],
    active: str(form.active) === 'on',
  }
  return { input, errors }
}

/** Where a problem's path points in the form: materials rows show on the materials table. */
export function problemsToFieldErrors(problems: RuleProblem[], t: Translate): FieldErrors {
  const errors: FieldErrors = {}
  for (const p of problems) {
    const parts = p.path.split('/').filter(Boolean)
    const field = parts[0] ?? '_form'
    const message = t(p.key, p.params)
    const text = field === 'materials' && parts[1] !== undefined ? t('matters.materialRow', { n: Number(parts[1]) + 1, message }) : message
    errors[field] = errors[field] ? `${errors[field]} ${text}` : text
  }
  return errors
}

/** The form's values for a stored or typed matter, with blank material rows to add more. */
export function formValues(input: MatterInput) {
  return {
    ...input,
    feeYuan: formatFen(input.feeFen),
    procedureText: input.procedure.join('\n'),
    materialRows: [...input.materials, ...Array.from({ length: BLANK_MATERIAL_ROWS }, () => ({ name: '', form: 'original', copies: 1, required: true, note: '' }))],
  }
}

/** What a re-rendered form shows: exactly what was typed, even where it did not parse. */
export function typedValues(form: MatterForm, input: MatterInput) {
  const names = list(form.materialName)
  const rows = names.map((name, i) => ({
    name,
    form: list(form.materialForm)[i] ?? 'original',
    copies: list(form.materialCopies)[i] ?? '1',
    required: (list(form.materialRequired)[i] ?? 'yes') === 'yes',
    note: list(form.materialNote)[i] ?? '',
  }))
  return {
    ...input,
    statutoryLimit: str(form.statutoryLimit),
    promisedLimit: str(form.promisedLimit),
    forwardLimit: str(form.forwardLimit),
    replyLimit: str(form.replyLimit),
    postingRounds: str(form.postingRounds),
    postingDays: str(form.postingDays),
    feeYuan: str(form.feeYuan),
    procedureText: str(form.procedure),
    materialRows: rows.length ? rows : formValues(input).materialRows,
  }
}
