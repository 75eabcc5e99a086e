/**
 * Stripe's search query language (https://docs.stripe.com/search#search-query-language):
 * `metadata["k"]:"v" AND status:"succeeded"`, `-field:"x"`, `email~"abc"`, `amount>100`, `field:null`.
 * Unlike Stripe, results are consistent immediately: an object is searchable as soon as it exists.
 */
import { invalidRequest } from '../errors'
import { readString, type FormObject } from '../params'
import { readLimit } from './list'

/** `string` matches case-insensitively like Stripe; `id` (ids, fingerprints) matches exactly. */
export type FieldKind = 'string' | 'id' | 'number' | 'boolean'

export interface SearchField {
  kind: FieldKind
  get: (object: never) => unknown
}

export interface SearchResult<T> {
  object: 'search_result'
  data: T[]
  has_more: boolean
  next_page: string | null
  url: string
}

type Operator = ':' | '~' | '>' | '<' | '>=' | '<='

interface Clause {
  negated: boolean
  field: string
  metadataKey: string | null
  operator: Operator
  value: string | number | null
}

interface Query {
  clauses: Clause[]
  joiner: 'AND' | 'OR'
}

export const SEARCH_PARAMS = ['query', 'limit', 'page', 'expand'] as const

function syntaxError(detail: string) {
  return invalidRequest(
    `Invalid search query: ${detail}. See https://stripe.com/docs/search#search-query-language for the syntax.`,
    'query',
  )
}

/** Reads a double-quoted string starting at `text[at]`; returns the value and the index after it. */
function readQuoted(text: string, at: number): [string, number] {
  let out = ''
  let i = at + 1
  while (i < text.length) {
    const ch = text[i] as string
    if (ch === '\\' && i + 1 < text.length) {
      out += text[i + 1]
      i += 2
      continue
    }
    if (ch === '"') return [out, i + 1]
    out += ch
    i++
  }
  throw syntaxError('unterminated string')
}

export function parseQuery(text: string): Query {
  const clauses: Clause[] = []
  const joiners = new Set<'AND' | 'OR'>()
  let i = 0
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++
  }
  for (;;) {
    skipSpace()
    if (i >= text.length) throw syntaxError('expected a clause')
    let negated = false
    if (text[i] === '-') {
      negated = true
      i++
    }
    const fieldMatch = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i))
    if (!fieldMatch) throw syntaxError(`unexpected '${text.slice(i, i + 10)}'`)
    const field = fieldMatch[0]
    i += field.length
    let metadataKey: string | null = null
    if (text[i] === '[') {
      if (text[i + 1] !== '"')
        throw syntaxError('metadata keys must be quoted, as in metadata["key"]')
      ;[metadataKey, i] = readQuoted(text, i + 1)
      if (text[i] !== ']') throw syntaxError("expected ']'")
      i++
    }
    const opMatch = /^(>=|<=|:|~|>|<)/.exec(text.slice(i))
    if (!opMatch) throw syntaxError(`expected an operator after ${field}`)
    const operator = opMatch[0] as Operator
    i += operator.length
    let value: string | number | null
    if (text[i] === '"') {
      ;[value, i] = readQuoted(text, i)
    } else {
      const raw = /^[^\s"]+/.exec(text.slice(i))
      if (!raw) throw syntaxError(`expected a value after ${field}${operator}`)
      i += raw[0].length
      if (raw[0] === 'null') value = null
      else if (/^-?\d+(\.\d+)?$/.test(raw[0])) value = Number(raw[0])
      else if (raw[0] === 'true' || raw[0] === 'false') value = raw[0]
      else throw syntaxError(`values must be quoted: ${raw[0]}`)
    }
    clauses.push({ negated, field, metadataKey, operator, value })
    skipSpace()
    if (i >= text.length) break
    const joiner = /^(AND|OR)\s/.exec(text.slice(i))?.[1] as 'AND' | 'OR' | undefined
    if (!joiner) throw syntaxError(`expected AND or OR at '${text.slice(i, i + 10)}'`)
    joiners.add(joiner)
    i += joiner.length
  }
  if (joiners.size > 1) throw syntaxError('AND and OR cannot be combined in one query')
  if (clauses.length > 10) throw syntaxError('a query can have at most 10 clauses')
  return { clauses, joiner: joiners.has('OR') ? 'OR' : 'AND' }
}

type Predicate = (object: { metadata?: Record<string, string> }) => boolean

/** Checks a clause against the resource's fields up front (so errors do not depend on the data) and returns its test. */
function compileClause(
  clause: Clause,
  fields: Record<string, SearchField>,
  resource: string,
): Predicate {
  let get: (object: { metadata?: Record<string, string> }) => unknown
  let kind: FieldKind
  if (clause.field === 'metadata') {
    if (clause.metadataKey === null)
      throw syntaxError('metadata needs a key, as in metadata["key"]')
    const key = clause.metadataKey
    get = (object) => object.metadata?.[key]
    kind = 'string'
  } else {
    const spec = fields[clause.field]
    if (!spec || clause.metadataKey !== null) {
      throw invalidRequest(
        `Field \`${clause.field}\` is an unsupported search field for resource \`${resource}\`. See http://stripe.com/docs/search#query-fields-for-${resource.replaceAll('_', '-')} for a list of supported fields.`,
        'query',
      )
    }
    get = spec.get as (o: unknown) => unknown
    kind = spec.kind
  }
  const { operator, value } = clause
  if (value === null) {
    if (operator !== ':') throw syntaxError('null can only be used with ":"')
    return (object) => {
      const actual = get(object)
      return actual === null || actual === undefined
    }
  }
  if (operator === '~') {
    if (kind !== 'string' && kind !== 'id')
      throw syntaxError(`~ is not supported on ${clause.field}`)
    const needle = String(value).toLowerCase()
    if (needle.length < 3) throw syntaxError('substring matches (~) need at least 3 characters')
    return (object) => {
      const actual = get(object)
      return (
        actual !== null && actual !== undefined && String(actual).toLowerCase().includes(needle)
      )
    }
  }
  if (operator === ':') {
    const expected = String(value)
    return (object) => {
      const actual = get(object)
      if (actual === null || actual === undefined) return false
      if (kind === 'number') return Number(actual) === Number(value)
      if (kind === 'boolean') return String(actual) === expected.toLowerCase()
      if (kind === 'id') return String(actual) === expected
      // Stripe's exact match is case-insensitive.
      return String(actual).toLowerCase() === expected.toLowerCase()
    }
  }
  if (kind !== 'number' || typeof value !== 'number')
    throw syntaxError(`${operator} needs a numeric field and a number`)
  const compare = {
    '>': (a: number) => a > value,
    '<': (a: number) => a < value,
    '>=': (a: number) => a >= value,
    '<=': (a: number) => a <= value,
  }[operator]
  return (object) => {
    const actual = get(object)
    return actual !== null && actual !== undefined && compare(Number(actual))
  }
}

function decodePage(page: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(page, 'base64url').toString('utf8')) as {
      offset?: unknown
    }
    if (
      typeof parsed.offset === 'number' &&
      Number.isSafeInteger(parsed.offset) &&
      parsed.offset >= 0
    )
      return parsed.offset
  } catch {
    // fall through
  }
  throw invalidRequest(`Invalid page: ${page}`, 'page')
}

/** Runs `query` over `items` (oldest first, as stored) and pages the matches newest first. */
export function search<T extends { metadata?: Record<string, string> }>(
  items: Iterable<T>,
  params: FormObject,
  resource: string,
  fields: Record<string, SearchField>,
): SearchResult<T> {
  const text = readString(params, 'query', { required: true }) as string
  const query = parseQuery(text)
  const limit = readLimit(params)
  const page = readString(params, 'page')
  const offset = page ? decodePage(page) : 0
  const tests = query.clauses.map((c) => {
    const test = compileClause(c, fields, resource)
    return c.negated ? (o: Parameters<Predicate>[0]) => !test(o) : test
  })
  const hits = [...items]
    .reverse()
    .filter((item) =>
      query.joiner === 'AND' ? tests.every((t) => t(item)) : tests.some((t) => t(item)),
    )
  const data = hits.slice(offset, offset + limit)
  const hasMore = hits.length > offset + limit
  return {
    object: 'search_result',
    data,
    has_more: hasMore,
    next_page: hasMore
      ? Buffer.from(JSON.stringify({ offset: offset + limit })).toString('base64url')
      : null,
    url: `/v1/${resource}/search`,
  }
}
