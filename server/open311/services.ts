import type { Translate } from '../i18n/i18n.ts'
import type { MatterRow } from '../matters/matters.repository.ts'
import { VULNERABLE } from '../db/schema.ts'

/**
 * The county's active matters as Open311 services. Each is filed in real time (a case number
 * comes back at once), so `type` is realtime; its attributes are what the counter's intake form
 * asks beyond the person: how the agent serves, which checklist items the villager has, the
 * village group, and whether the agent should come to the house.
 */
export interface Service {
  service_code: string
  service_name: string
  description: string
  metadata: boolean
  type: 'realtime'
  keywords: string
  group: string
}

export function serviceOf(t: Translate, m: MatterRow): Service {
  return {
    service_code: m.code,
    service_name: m.name,
    description: t('open311.serviceDescription', { promised: m.promisedLimit, unit: t(`matters.units.${m.limitUnit}`), department: t(`departments.${m.department}`) }),
    metadata: true,
    type: 'realtime',
    keywords: [t(`departments.${m.department}`), t(`matters.caseTypes.${m.caseType}`), ...m.serviceForms.map((f) => t(`matters.serviceForms.${f}`))].join(','),
    group: t(`departments.${m.department}`),
  }
}

export interface Attribute {
  variable: boolean
  code: string
  datatype: 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist'
  required: boolean
  datatype_description: string
  order: number
  description: string
  values?: { key: string; name: string }[]
}

export interface ServiceDefinition {
  service_code: string
  attributes: Attribute[]
}

/** One line per checklist item: what the villager brings to the station, and in what form. */
function checklistText(t: Translate, m: MatterRow): string {
  if (m.materials.length === 0) return t('open311.attributes.noMaterials')
  return m.materials
    .map((item) => t('open311.attributes.checklistItem', { name: item.name, form: t(`matters.materialForms.${item.form}`), copies: item.copies, required: t(item.required ? 'open311.attributes.requiredItem' : 'open311.attributes.optionalItem') }))
    .join('；')
}

export function serviceDefinitionOf(t: Translate, m: MatterRow): ServiceDefinition {
  const attributes: Attribute[] = [
    // Informational (variable false): the checklist a client shows before the villager sets out.
    { variable: false, code: 'checklist', datatype: 'text', required: false, datatype_description: '', order: 1, description: checklistText(t, m) },
    {
      variable: true,
      code: 'service_form',
      datatype: 'singlevaluelist',
      required: true,
      datatype_description: '',
      order: 2,
      description: t('open311.attributes.serviceForm'),
      values: m.serviceForms.map((f) => ({ key: f, name: t(`matters.serviceForms.${f}`) })),
    },
  ]
  if (m.materials.length > 0) {
    attributes.push({
      variable: true,
      code: 'materials',
      datatype: 'multivaluelist',
      required: false,
      datatype_description: '',
      order: 3,
      description: t('open311.attributes.materials'),
      values: m.materials.map((item) => ({ key: item.name, name: item.name })),
    })
  }
  attributes.push(
    { variable: true, code: 'village_group', datatype: 'string', required: false, datatype_description: t('open311.attributes.villageGroupFormat'), order: 4, description: t('open311.attributes.villageGroup') },
    {
      variable: true,
      code: 'home_service',
      datatype: 'singlevaluelist',
      required: false,
      datatype_description: '',
      order: 5,
      description: t('open311.attributes.homeService'),
      values: [{ key: 'false', name: t('common.no') }, { key: 'true', name: t('common.yes') }],
    },
    {
      variable: true,
      code: 'vulnerable',
      datatype: 'singlevaluelist',
      required: false,
      datatype_description: '',
      order: 6,
      description: t('open311.attributes.vulnerable'),
      values: VULNERABLE.map((v) => ({ key: v, name: t(`applicants.vulnerableKinds.${v}`) })),
    },
  )
  return { service_code: m.code, attributes }
}
