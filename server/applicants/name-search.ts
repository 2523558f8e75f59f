import { sql, type Expression, type SqlBool } from 'kysely'

/**
 * Applicants whose name contains `text` anywhere (小三 finds 张小三), case-insensitively, through
 * the GIN index of applicants.name_grams (migration 2026_12_06_001): the text's character pairs
 * must all be among the name's, and the names that pass are checked for the whole text.
 * `table` is the applicant table's alias in the caller's query.
 */
export function nameContains(text: string, table = 'applicants'): Expression<SqlBool> {
  const q = text.trim()
  return sql<SqlBool>`(${sql.ref(`${table}.name_grams`)} @> search_grams(${q}) and strpos(lower(${sql.ref(`${table}.name`)}), lower(${q})) > 0)`
}
