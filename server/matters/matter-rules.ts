import { Ajv, type ErrorObject } from 'ajv'
import { CASE_TYPES, DEPARTMENTS, MATERIAL_FORMS, POSTING_FIELDS, SERVICE_FORMS, type CaseType, type Department, type Material, type ServiceForm } from '../db/schema.ts'

/** One matter as admins edit it and as the catalogue file carries it. */
export interface MatterInput {
  code: string
  name: string
  department: Department
  caseType: CaseType
  serviceForms: ServiceForm[]
  proxiable: boolean
  notProxiableReason: string
  materials: Material[]
  legalBasis: string
  conditions: string
  procedure: string[]
  statutoryLimit: number
  promisedLimit: number
  limitUnit: 'working' | 'calendar'
  forwardLimit: number
  replyLimit: number
  feeFen: number
  feeBasis: string
  complaintChannel: string
  silenceConsent: boolean
  /** Its cases are never listed on the public monthly case list. */
  keepOffPublicList: boolean
  postingRounds: number
  postingDays: number
  postingFields: (typeof POSTING_FIELDS)[number][]
  active: boolean
}

const shortText = (max: number) => ({ type: 'string', maxLength: max })
const limit = { type: 'integer', minimum: 0, maximum: 365 }

/** The published schema of one matter; the catalogue file is a list of these. */
export const matterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'name', 'department', 'caseType', 'serviceForms', 'proxiable', 'materials', 'legalBasis', 'conditions', 'procedure', 'statutoryLimit', 'promisedLimit', 'limitUnit', 'complaintChannel'],
  properties: {
    code: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$' },
    name: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' },
    department: { enum: DEPARTMENTS },
    caseType: { enum: CASE_TYPES },
    serviceForms: { type: 'array', uniqueItems: true, maxItems: 3, items: { enum: SERVICE_FORMS } },
    proxiable: { type: 'boolean' },
    notProxiableReason: shortText(500),
    materials: {
      type: 'array',
      maxItems: 40,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'form', 'copies', 'required'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' },
          form: { enum: MATERIAL_FORMS },
          copies: { type: 'integer', minimum: 1, maximum: 20 },
          required: { type: 'boolean' },
          note: shortText(200),
        },
      },
    },
    legalBasis: shortText(2000),
    conditions: shortText(2000),
    procedure: { type: 'array', maxItems: 30, items: { type: 'string', minLength: 1, maxLength: 200 } },
    statutoryLimit: limit,
    promisedLimit: limit,
    limitUnit: { enum: ['working', 'calendar'] },
    forwardLimit: { type: 'integer', minimum: 0, maximum: 60, default: 3 },
    replyLimit: { type: 'integer', minimum: 0, maximum: 60, default: 2 },
    feeFen: { type: 'integer', minimum: 0, maximum: 100000000, default: 0 },
    feeBasis: { ...shortText(500), default: '' },
    complaintChannel: shortText(300),
    silenceConsent: { type: 'boolean', default: false },
    keepOffPublicList: { type: 'boolean', default: false },
    postingRounds: { type: 'integer', minimum: 0, maximum: 5, default: 0 },
    postingDays: { type: 'integer', minimum: 0, maximum: 60, default: 0 },
    postingFields: { type: 'array', uniqueItems: true, items: { enum: POSTING_FIELDS }, default: [] },
    active: { type: 'boolean', default: true },
  },
} as const

export const catalogueSchema = {
  $id: 'https://bianmin.example/schemas/matter-catalogue.json',
  title: 'Bianmin matter catalogue',
  type: 'object',
  additionalProperties: false,
  required: ['format', 'matters'],
  properties: {
    format: { const: 'bianmin-matter-catalogue/1' },
    exportedAt: { type: 'string' },
    county: { type: 'string' },
    matters: { type: 'array', maxItems: 2000, items: matterSchema },
  },
} as const

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false })
const validateMatterShape = ajv.compile(matterSchema)
const validateCatalogueShape = ajv.compile(catalogueSchema)

export interface RuleProblem {
  /** JSON pointer of the offending value, e.g. /matters/3/promisedLimit */
  path: string
  /** Locale key of the message. */
  key: string
  params?: Record<string, unknown>
}

function fromAjv(errors: ErrorObject[] | null | undefined, prefix = ''): RuleProblem[] {
  return (errors ?? []).map((e) => {
    const path = prefix + (e.keyword === 'required' ? `${e.instancePath}/${e.params.missingProperty}` : e.instancePath) || '/'
    return { path, key: `matters.schema.${e.keyword}`, params: { ...e.params, detail: e.message } }
  })
}

/** Rules a schema cannot say: the promise within the law, a reason when not proxiable, and so on. */
export function checkMatterRules(m: MatterInput, prefix = ''): RuleProblem[] {
  const problems: RuleProblem[] = []
  const at = (field: string, key: string, params?: Record<string, unknown>) => problems.push({ path: `${prefix}/${field}`, key, params })
  if (m.promisedLimit > m.statutoryLimit) at('promisedLimit', 'matters.rule.promiseOverLaw', { promised: m.promisedLimit, statutory: m.statutoryLimit })
  if (!m.proxiable && !m.notProxiableReason.trim()) at('notProxiableReason', 'matters.rule.reasonRequired')
  if (m.proxiable && m.serviceForms.length === 0) at('serviceForms', 'matters.rule.formsRequired')
  if ((m.postingRounds === 0) !== (m.postingDays === 0)) at('postingDays', 'matters.rule.postingPair')
  if (m.feeFen > 0 && !m.feeBasis.trim()) at('feeBasis', 'matters.rule.feeBasisRequired')
  const names = new Set<string>()
  m.materials.forEach((material, i) => {
    if (names.has(material.name.trim())) at(`materials/${i}/name`, 'matters.rule.materialTwice', { name: material.name })
    names.add(material.name.trim())
  })
  return problems
}

/** Validates one matter (shape, then rules); fills defaults in place. */
export function checkMatter(input: unknown, prefix = ''): RuleProblem[] {
  if (!validateMatterShape(input)) return fromAjv(validateMatterShape.errors, prefix)
  return checkMatterRules(input as MatterInput, prefix)
}

/** Validates a whole catalogue file: every error, each with its path. */
export function checkCatalogue(data: unknown): RuleProblem[] {
  if (!validateCatalogueShape(data)) return fromAjv(validateCatalogueShape.errors)
  const problems: RuleProblem[] = []
  const codes = new Map<string, number>()
  ;(data as { matters: MatterInput[] }).matters.forEach((m, i) => {
    problems.push(...checkMatterRules(m, `/matters/${i}`))
    const first = codes.get(m.code)
    if (first !== undefined) problems.push({ path: `/matters/${i}/code`, key: 'matters.rule.codeTwice', params: { code: m.code, first } })
    codes.set(m.code, i)
  })
  return problems
}
