/** fast-check arbitraries for hostile requests: methods, spellings of paid paths, and `payment` headers. */
import { magicPaymentMethodIds } from '@stripe402/stripe-emulator'
import fc from 'fast-check'

export interface HostileRequest {
  method: string
  target: string
  headers: Array<[string, string]>
  body?: string
}

export interface HostileContext {
  /** A real credential with credits: it may only appear in payloads that are sure to be refused. */
  realToken: string
  realAccountId: string
  /** Every paid route's path; the cheapest price among them. */
  paidPaths: readonly string[]
  cheapestPrice: number
  /** Free paths worth poking too (discovery, webhook, health). */
  otherPaths: readonly string[]
  /** Prefixes of paid `:param` and `*` routes (`/users/`): the generator puts dot segments where the parameter goes. */
  paramPrefixes?: readonly string[]
  origin: string
}

const MAGIC = new Set(magicPaymentMethodIds())
const noNewlines = (s: string) => s.replace(/[\r\n]/g, '')
const b64 = (text: string, style: 'std' | 'url' | 'unpadded') => {
  const encoded = Buffer.from(text, 'utf8').toString(style === 'url' ? 'base64url' : 'base64')
  return style === 'unpadded' ? encoded.replace(/=+$/, '') : encoded
}

/** Node's parser answers 400 itself to unknown or lower-case methods: a few of those, mostly ones that reach the app. */
export const METHODS = [
  'GET',
  'GET',
  'GET',
  'GET',
  'HEAD',
  'HEAD',
  'POST',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'SEARCH',
  'get',
  'FOO',
] as const

/** Look-alikes and case-folding traps: Kelvin sign, long s, dotless/dotted i, fullwidth letters, combining marks. */
function lookalike(ch: string, pick: number): string {
  const alike = [
    String.fromCharCode(ch.charCodeAt(0) + 0xfee0),
    `${ch}\u0301`,
    ...(ch === 'k' ? ['\u212a'] : []),
    ...(ch === 's' ? ['\u017f'] : []),
    ...(ch === 'i' ? ['\u0131', '\u0130'] : []),
  ]
  // Mostly percent-encoded UTF-8, as a client must send it; raw bytes are refused by Node's parser (400).
  const options = [
    ch.toUpperCase(),
    ...alike.map(encodeURIComponent),
    ...alike.map(encodeURIComponent),
    alike[pick % alike.length]!,
  ]
  return options[pick % options.length]!
}

type Mutation = (path: string) => string
const at = (path: string, index: number) => index % Math.max(1, path.length)
const slashes = (path: string) =>
  [...path].map((c, i) => (c === '/' ? i : -1)).filter((i) => i >= 0)

/** One edit of a path that a framework might still route to the paid handler. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.array(fc.boolean(), { minLength: 32, maxLength: 32 }).map(
    (mask): Mutation =>
      (p) =>
        [...p].map((c, i) => (mask[i % 32] ? c.toUpperCase() : c)).join(''),
  ),
  fc.tuple(fc.nat(), fc.boolean(), fc.boolean()).map(
    ([n, lower, twice]): Mutation =>
      (p) => {
        const i = at(p, n)
        let hex = `%${p.charCodeAt(i).toString(16).padStart(2, '0')}`
        hex = lower ? hex.toLowerCase() : hex.toUpperCase()
        return p.slice(0, i) + (twice ? hex.replace('%', '%25') : hex) + p.slice(i + 1)
      },
  ),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(
        '%2F',
        '%2f',
        '%5C',
        '\\',
        '%252F',
        '%C0%AF',
        '//',
        '///',
        '/./',
        '/x/../',
        '/%2e/',
        '/%2E%2E/x/../../',
        '/.%2e/',
      ),
    )
    .map(
      ([n, spelling]): Mutation =>
        (p) => {
          const list = slashes(p)
          const i = list[n % list.length] ?? 0
          return p.slice(0, i) + spelling + p.slice(i + 1)
        },
    ),
  fc
    .constantFrom(
      '/',
      '//',
      '/.',
      '/./',
      '/..',
      '/../joke',
      ';',
      ';x=1',
      ';jsessionid=abc',
      '?',
      '?x=1',
      '?payment=1',
      '#frag',
      '%20',
      '%00',
      '%09',
      '.',
      '..',
      '~',
      '.json',
      '/%2e',
      '%3B',
    )
    .map(
      (suffix): Mutation =>
        (p) =>
          p + suffix,
    ),
  fc.tuple(fc.nat(), fc.constantFrom(';x=1', ';', '%3B', ';/..;')).map(
    ([n, param]): Mutation =>
      (p) => {
        const list = slashes(p)
        const i = list[n % list.length] ?? 0
        return i === 0 ? p : p.slice(0, i) + param + p.slice(i)
      },
  ),
  fc.tuple(fc.nat(), fc.nat()).map(
    ([n, pick]): Mutation =>
      (p) => {
        const letters = [...p].map((c, i) => (/[a-z]/.test(c) ? i : -1)).filter((i) => i >= 0)
        const i = letters[n % Math.max(1, letters.length)] ?? 0
        return p.slice(0, i) + lookalike(p[i]!, pick) + p.slice(i + 1)
      },
  ),
  fc.constantFrom('/x/..', '//', '/./', '/%2e%2e/api/..', '\\', '/;x/..').map(
    (prefix): Mutation =>
      (p) =>
        prefix + p,
  ),
  fc.string({ maxLength: 12, unit: 'grapheme-ascii' }).map(
    (junk): Mutation =>
      (p) =>
        p + noNewlines(junk),
  ),
)

/** Values of a `:param` (or a `*`) that are dot segments once a router decodes them. */
const DOT_VALUES = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '%2e',
  '.%2e',
  '%2E.',
  '..;x',
  'a%2F..',
  '..%2F',
  '%252e%252e',
] as const

/** A request target: a spelling of a paid path (mostly), sometimes absolute-form or enormous. */
export function targetArbitrary(ctx: HostileContext): fc.Arbitrary<string> {
  const path = fc
    .tuple(
      fc.constantFrom(...ctx.paidPaths, ...ctx.paidPaths, ...ctx.otherPaths),
      fc.array(mutation, { maxLength: 4 }),
    )
    .map(([base, edits]) => edits.reduce((p, edit) => edit(p), base))
  // Routers hand `..` and `%2e%2e` to a `:param` or `*` as a value; a URL parser would resolve them away.
  const dotParam = fc
    .tuple(
      fc.constantFrom(...(ctx.paramPrefixes ?? ['/users/'])),
      fc.boolean(),
      fc.constantFrom(...DOT_VALUES),
      fc.constantFrom('', '', '/', '/x', '?q=1'),
    )
    .map(
      ([prefix, upper, value, suffix]) => (upper ? prefix.toUpperCase() : prefix) + value + suffix,
    )
  return fc
    .oneof(
      { weight: 12, arbitrary: path },
      { weight: 1, arbitrary: dotParam },
      // Absolute-form targets (`GET http://x/users/.. HTTP/1.1`): Express and Koa route on their raw pathname.
      {
        weight: 2,
        arbitrary: fc
          .tuple(dotParam, fc.constantFrom('http://x', 'HTTP://evil.example:8080'))
          .map(([p, origin]) => origin + p),
      },
      { weight: 1, arbitrary: dotParam.map((p) => ctx.origin + p) },
      { weight: 1, arbitrary: path.map((p) => `${ctx.origin}${p.startsWith('/') ? p : `/${p}`}`) },
      {
        weight: 1,
        arbitrary: path.map((p) => `http://evil.example${p.startsWith('/') ? p : `/${p}`}`),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(path, fc.integer({ min: 500, max: 9_000 }))
          .map(([p, n]) => p + '/a'.repeat(n / 2)),
      },
    )
    .map(noNewlines)
}

/** JSON number spellings and values a strict decoder must refuse or handle. */
const hostileNumber = fc.oneof(
  fc.constantFrom(
    '-1',
    '0',
    '-0',
    '0.5',
    '1.5',
    '1e400',
    '-1e400',
    '1e308',
    '9007199254740993',
    '1000000000001',
    '1e12',
    '1E3',
    '5e3',
    '100000',
    '2e-5',
    '"100"',
    'null',
    'true',
    '[]',
    '{}',
    '[1]',
  ),
  fc.integer().map(String),
  fc.double().map((d) => JSON.stringify(d)),
)

/** Values that make a payload fail validation for sure (so the real credential in it can never pay). */
/** A field that makes a payload carrying the real credential sure to be refused: invalid, or a maxAmount below every price. */
const invalidator = (cheapestPrice: number) =>
  fc.oneof(
    fc
      .constantFrom('2', '0', '"1"', 'null', '1.5', '-1')
      .map((v) => ['stripe402Version', v] as const),
    fc
      .constantFrom('-1', '0.5', '1e13', '"100"', '1e400', 'true', '[]', '{}')
      .map((v) => ['topUpAmount', v] as const),
    fc
      .constantFrom('-1', '0.5', '1e13', '"100"', 'true', '{}')
      .map((v) => ['maxAmount', v] as const),
    // Valid, but below every price: the server must refuse before it spends anything.
    fc.nat().map((n) => ['maxAmount', String(n % cheapestPrice)] as const),
  )

const randomHex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length })
const randomB64url = (length: number) =>
  fc.string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
    minLength: length,
    maxLength: length,
  })

/** A clientId one step away from the real one, or shaped right and forged. */
function nearlyValidClientId(ctx: HostileContext): fc.Arbitrary<string> {
  const t = ctx.realToken
  return fc.oneof(
    fc.tuple(fc.nat(), fc.constantFrom(...'0123456789abcdefABCDEF_-xZ')).map(([n, c]) => {
      const i = n % t.length
      return t.slice(0, i) + (t[i] === c ? (c === 'a' ? 'b' : 'a') : c) + t.slice(i + 1)
    }),
    fc.nat().map((n) => t.slice(0, n % t.length)),
    fc.string({ minLength: 1, maxLength: 3 }).map((s) => t + s),
    fc.constant(t.toUpperCase()),
    fc.constant(` ${t}`),
    fc.constant(ctx.realAccountId),
    randomB64url(43).map((secret) => `s402_${ctx.realAccountId}_${secret}`),
    fc.tuple(randomHex(64), randomB64url(43)).map(([a, s]) => `s402_${a}_${s}`),
    randomHex(64),
  )
}

/** A PaymentMethod id Stripe does not have (never one of the emulator's magic test ids). */
const unknownPaymentMethod = fc
  .oneof(
    {
      weight: 4,
      arbitrary: fc
        .string({
          unit: fc.constantFrom(
            ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
          ),
          minLength: 8,
          maxLength: 24,
        })
        .map((s) => `pm_${s}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'pm_',
        'pm_1',
        'pm_../../v1/charges',
        'pm_%2F..',
        'pm_\u0000x',
        '4242424242424242',
        'tok_doesnotexist',
        `pm_${'x'.repeat(300)}`,
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  )
  .filter((id) => !MAGIC.has(id) && !id.startsWith('pm_card_') && !id.startsWith('tok_visa'))

const jsonString = (s: string) => JSON.stringify(s)

/** A payload built as JSON text (so `1e400`, `-0` and duplicate keys reach the server as written). */
function payloadText(ctx: HostileContext): fc.Arbitrary<string> {
  const field = fc.oneof(
    fc.constant(['stripe402Version', '1'] as const),
    fc
      .constantFrom('2', '0', '"1"', 'null', '1.0', '1e0', 'true')
      .map((v) => ['stripe402Version', v] as const),
    nearlyValidClientId(ctx).map((id) => ['clientId', jsonString(id)] as const),
    fc
      .oneof(
        hostileNumber,
        fc.jsonValue().map((v) => JSON.stringify(v)),
      )
      .map((v) => ['clientId', v] as const),
    unknownPaymentMethod.map((id) => ['paymentMethodId', jsonString(id)] as const),
    hostileNumber.map((v) => ['paymentMethodId', v] as const),
    hostileNumber.map((v) => ['topUpAmount', v] as const),
    hostileNumber.map((v) => ['maxAmount', v] as const),
    fc.string({ maxLength: 300 }).map((s) => ['idempotencyKey', jsonString(s)] as const),
    fc
      .constantFrom('__proto__', 'constructor', 'prototype')
      .map(
        (k) =>
          [
            k,
            `{"clientId":${jsonString(ctx.realToken)},"prototype":{"clientId":${jsonString(ctx.realToken)}}}`,
          ] as const,
      ),
    fc
      .tuple(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }))
      .map(([k, v]) => [k, JSON.stringify(v)] as const),
    fc
      .integer({ min: 17, max: 40 })
      .map((depth) => ['deep', '['.repeat(depth) + ']'.repeat(depth)] as const),
  )
  // Edits a strict server accepts: they keep a near-valid payload valid, so it reaches Stripe or the ledger.
  const benignField = fc.oneof(
    fc.integer({ min: 0, max: 1_000_000_000_000 }).map((n) => ['topUpAmount', String(n)] as const),
    fc
      .integer({ min: 60_000, max: 1_000_000_000_000 })
      .map((n) => ['maxAmount', String(n)] as const),
    fc
      .string({ minLength: 1, maxLength: 64, unit: 'grapheme-ascii' })
      .map((k) => ['idempotencyKey', jsonString(k)] as const),
    fc
      .tuple(
        fc.constantFrom('note', 'x', 'futureField', 'amount'),
        fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.boolean()),
      )
      .map(([k, v]) => [k, JSON.stringify(v)] as const),
  )
  const forged = fc.array(field, { minLength: 1, maxLength: 6 })
  // Valid in shape (version 1, a credential or a PaymentMethod), then zero to two fields edited or added.
  const nearValid = fc
    .tuple(
      fc.oneof(
        nearlyValidClientId(ctx).map((id) => [['clientId', jsonString(id)] as const]),
        unknownPaymentMethod.map((id) => [['paymentMethodId', jsonString(id)] as const]),
        fc
          .tuple(nearlyValidClientId(ctx), unknownPaymentMethod)
          .map(([id, pm]) => [
            ['clientId', jsonString(id)] as const,
            ['paymentMethodId', jsonString(pm)] as const,
          ]),
      ),
      fc.array(fc.oneof({ weight: 3, arbitrary: benignField }, { weight: 1, arbitrary: field }), {
        maxLength: 2,
      }),
    )
    .map(([base, edits]) => [
      ['stripe402Version', '1'] as const,
      ...base.filter(([k]) => !edits.some(([e]) => e === k)),
      ...edits,
    ])
  // The real credential, always next to a field that makes the payload invalid or too cheap.
  const withRealToken = fc
    .tuple(fc.array(field, { maxLength: 4 }), invalidator(ctx.cheapestPrice))
    .map(([rest, bad]) => [
      ['clientId', jsonString(ctx.realToken)] as const,
      ...rest.filter(([k]) => k !== 'clientId' && k !== bad[0]),
      bad,
    ])
  return fc
    .oneof(
      { weight: 6, arbitrary: nearValid },
      { weight: 2, arbitrary: forged },
      { weight: 2, arbitrary: withRealToken },
    )
    .map((fields) => `{${fields.map(([k, v]) => `${jsonString(k)}:${v}`).join(',')}}`)
}

/** A `payment` header value (or several): junk, base64 of any JSON, near-valid payloads, oversize. */
export function paymentHeaderArbitrary(ctx: HostileContext): fc.Arbitrary<string[]> {
  const style = fc.constantFrom('std', 'url', 'unpadded') as fc.Arbitrary<
    'std' | 'url' | 'unpadded'
  >
  const one = fc.oneof(
    { weight: 1, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }).map(noNewlines) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.jsonValue(), style).map(([v, s]) => b64(JSON.stringify(v), s)),
    },
    { weight: 10, arbitrary: fc.tuple(payloadText(ctx), style).map(([text, s]) => b64(text, s)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(payloadText(ctx), fc.constantFrom(' ', '\t', '==', '.', '\u00a0'))
        .map(([text, pad]) => pad + b64(text, 'std') + pad),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 8_193, max: 20_000 })
        .map((n) => 'QUFB'.repeat(Math.ceil(n / 4)).slice(0, n)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        'null',
        'e30=',
        'W10=',
        'bnVsbA==',
        '%7B%7D',
        'eyJzdHJpcGU0MDJWZXJzaW9uIjoxfQ',
      ),
    },
  )
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<string[]>([]) },
    { weight: 8, arbitrary: one.map((h) => [h]) },
    { weight: 1, arbitrary: fc.array(one, { minLength: 2, maxLength: 3 }) },
  )
}

/**
 * Method, target, `payment` header(s), sometimes a forged webhook signature and body. Half the
 * Most requests aim at the payment code (the exact paid path with its own method and a hostile
 * header), a third at routing (mutated paths), the rest mix everything.
 */
export function hostileRequest(ctx: HostileContext): fc.Arbitrary<HostileRequest> {
  const signature = fc.option(
    fc.oneof(
      fc.string({ maxLength: 80 }).map(noNewlines),
      fc.tuple(fc.nat(), randomHex(64)).map(([t, v]) => `t=${t},v1=${v}`),
    ),
    { nil: undefined },
  )
  const body = fc.option(fc.string({ maxLength: 300 }), { nil: undefined })
  const build = ({
    method,
    target,
    payments,
    signature,
    body,
  }: {
    method: string
    target: string
    payments: string[]
    signature?: string | undefined
    body?: string | undefined
  }): HostileRequest => ({
    method,
    target: target.startsWith('/') || target.startsWith('http') ? target : `/${target}`,
    headers: [
      ...payments.map((p) => ['payment', p] as [string, string]),
      ...(signature !== undefined ? [['stripe-signature', signature] as [string, string]] : []),
    ],
    ...(body !== undefined && method !== 'GET' && method !== 'HEAD' && { body }),
  })
  const atPayment = fc
    .record({
      path: fc.constantFrom(...ctx.paidPaths),
      head: fc.boolean(),
      payments: paymentHeaderArbitrary(ctx),
    })
    .map(({ path, head, payments }) =>
      build({
        method: path === '/api/echo' ? 'POST' : head ? 'HEAD' : 'GET',
        target: path,
        payments,
      }),
    )
  const atRouting = fc
    .record({
      method: fc.constantFrom('GET', 'GET', 'HEAD', 'POST'),
      target: targetArbitrary(ctx),
      payments: fc.oneof(fc.constant<string[]>([]), paymentHeaderArbitrary(ctx)),
    })
    .map(build)
  const anything = fc
    .record({
      method: fc.constantFrom(...METHODS),
      target: targetArbitrary(ctx),
      payments: paymentHeaderArbitrary(ctx),
      signature,
      body,
    })
    .map(build)
  // OPTIONS, as a CORS preflight or not: a handler mounted for every method must never run for it unpaid.
  const cors = fc.record({
    requestMethod: fc.option(
      fc.constantFrom('GET', 'POST', 'HEAD', 'patch', 'OPTIONS', 'G E T', ''),
      { nil: undefined },
    ),
    requestHeaders: fc.option(
      fc.oneof(
        fc.constantFrom('payment', 'payment, content-type', 'x'.repeat(3_000)),
        fc.string({ maxLength: 80 }).map(noNewlines),
      ),
      { nil: undefined },
    ),
    origin: fc.option(fc.constantFrom('https://app.example', 'null', 'http://evil.example'), {
      nil: undefined,
    }),
  })
  const atOptions = fc
    .record({
      target: targetArbitrary(ctx),
      payments: fc.oneof(fc.constant<string[]>([]), paymentHeaderArbitrary(ctx)),
      cors,
    })
    .map(({ target, payments, cors: { requestMethod, requestHeaders, origin } }) => {
      const request = build({ method: 'OPTIONS', target, payments })
      if (requestMethod !== undefined)
        request.headers.push(['access-control-request-method', requestMethod])
      if (requestHeaders !== undefined)
        request.headers.push(['access-control-request-headers', requestHeaders])
      if (origin !== undefined) request.headers.push(['origin', origin])
      return request
    })
  return fc.oneof(
    { weight: 6, arbitrary: atPayment },
    { weight: 3, arbitrary: atRouting },
    { weight: 1, arbitrary: atOptions },
    { weight: 1, arbitrary: anything },
  )
}
