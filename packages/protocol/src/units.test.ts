import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_UNITS } from './constants'
import { Stripe402Error } from './errors'
import {
  chargeableUnits,
  currencyDecimals,
  formatUnits,
  isSupportedCurrency,
  minimumTopUpUnits,
  minorToUnits,
  STRIPE_MINIMUM_CHARGE_MINOR,
  THREE_DECIMAL_CURRENCIES,
  UNITS_PER_MAJOR,
  unitsToMinor,
  ZERO_DECIMAL_CURRENCIES,
} from './units'

const units = fc.bigInt({ min: 0n, max: BigInt(MAX_UNITS) }).map(Number)
const someCurrency = fc.constantFrom(
  'usd',
  'eur',
  'gbp',
  'jpy',
  'krw',
  'kwd',
  'bhd',
  'isk',
  'ugx',
  'huf',
  'USD',
)

describe('unitsToMinor', () => {
  it('converts exact amounts exactly', () => {
    expect(unitsToMinor(5000, 'usd')).toBe(50)
    expect(unitsToMinor(UNITS_PER_MAJOR, 'usd')).toBe(100)
    expect(unitsToMinor(0, 'usd')).toBe(0)
    expect(unitsToMinor(500_000, 'jpy')).toBe(50)
  })

  it('rounds up, never down, so a charge never falls short of the price', () => {
    expect(unitsToMinor(1, 'usd')).toBe(1)
    expect(unitsToMinor(101, 'usd')).toBe(2)
    expect(unitsToMinor(5001, 'usd')).toBe(51)
    expect(unitsToMinor(1, 'jpy')).toBe(1)
    expect(unitsToMinor(10_001, 'jpy')).toBe(2)
  })

  it('treats JPY and KRW as zero-decimal: 10,000 units are one yen or won', () => {
    expect(currencyDecimals('jpy')).toBe(0)
    expect(currencyDecimals('KRW')).toBe(0)
    expect(unitsToMinor(10_000, 'krw')).toBe(1)
    expect(unitsToMinor(9_999, 'krw')).toBe(1)
  })

  it('rounds three-decimal currencies up to a multiple of 10, as Stripe requires', () => {
    expect(currencyDecimals('kwd')).toBe(3)
    expect(unitsToMinor(10_000, 'kwd')).toBe(1000)
    expect(unitsToMinor(10, 'kwd')).toBe(10)
    expect(unitsToMinor(11, 'kwd')).toBe(10)
    expect(unitsToMinor(101, 'kwd')).toBe(20)
    for (const c of THREE_DECIMAL_CURRENCIES) expect(unitsToMinor(12_345, c) % 10).toBe(0)
  })

  it('writes ISK and UGX with two decimals that are always 00', () => {
    expect(currencyDecimals('isk')).toBe(2)
    expect(unitsToMinor(50_000, 'isk')).toBe(500)
    expect(unitsToMinor(50_001, 'ugx')).toBe(600)
    expect(ZERO_DECIMAL_CURRENCIES.has('ugx')).toBe(false)
  })

  it('is exact at the top of the range (no floating-point drift)', () => {
    expect(unitsToMinor(MAX_UNITS, 'usd')).toBe(MAX_UNITS / 100)
    expect(unitsToMinor(Number.MAX_SAFE_INTEGER, 'jpy')).toBe(
      Math.floor(Number.MAX_SAFE_INTEGER / 10_000) + 1,
    )
    expect(unitsToMinor(Number.MAX_SAFE_INTEGER, 'usd')).toBe(90_071_992_547_410)
  })

  it('refuses amounts that are not non-negative safe integers, and bad currency codes', () => {
    for (const bad of [-1, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => unitsToMinor(bad, 'usd')).toThrow(Stripe402Error)
    }
    expect(() => unitsToMinor(1, 'dollars')).toThrow(/not an ISO 4217/)
    expect(() => unitsToMinor(1, 'us')).toThrow(Stripe402Error)
  })

  it('property: minorToUnits(unitsToMinor(u)) >= u, and by less than one minor unit step', () => {
    fc.assert(
      fc.property(units, someCurrency, (u, c) => {
        const back = minorToUnits(unitsToMinor(u, c), c)
        expect(back).toBeGreaterThanOrEqual(u)
        const c3 =
          currencyDecimals(c) === 3 ? 10 : ['isk', 'ugx'].includes(c.toLowerCase()) ? 100 : 1
        expect(back - u).toBeLessThan((UNITS_PER_MAJOR / 10 ** currencyDecimals(c)) * c3)
      }),
    )
  })

  it('property: minor → units → minor is the identity on amounts Stripe accepts', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 99_999_999 }),
        fc.constantFrom('usd', 'jpy', 'gbp', 'krw'),
        (m, c) => {
          expect(unitsToMinor(minorToUnits(m, c), c)).toBe(m)
        },
      ),
    )
  })
})

describe('minorToUnits', () => {
  it('converts exactly', () => {
    expect(minorToUnits(50, 'usd')).toBe(5000)
    expect(minorToUnits(50, 'jpy')).toBe(500_000)
    expect(minorToUnits(1000, 'kwd')).toBe(10_000)
  })

  it('refuses results beyond safe integers', () => {
    expect(() => minorToUnits(Number.MAX_SAFE_INTEGER, 'jpy')).toThrow(Stripe402Error)
    expect(() => minorToUnits(-1, 'usd')).toThrow(Stripe402Error)
  })
})

describe('chargeableUnits', () => {
  it('rounds up to what Stripe can charge: a whole cent, yen, or multiple of 10 fils', () => {
    expect(chargeableUnits(5_000, 'usd')).toBe(5_000)
    expect(chargeableUnits(5_001, 'usd')).toBe(5_100)
    expect(chargeableUnits(1, 'jpy')).toBe(10_000)
    expect(chargeableUnits(1, 'kwd')).toBe(100)
  })

  it('property: equals minorToUnits(unitsToMinor(u)), so it is at least u and chargeable as is', () => {
    fc.assert(
      fc.property(
        units.filter((u) => u <= MAX_UNITS / 100),
        someCurrency,
        (u, c) => {
          const up = chargeableUnits(u, c)
          expect(up).toBe(minorToUnits(unitsToMinor(u, c), c))
          expect(up).toBeGreaterThanOrEqual(u)
          expect(chargeableUnits(up, c)).toBe(up)
        },
      ),
    )
  })
})

describe('minimumTopUpUnits', () => {
  it("equals Stripe's published minimum charge", () => {
    expect(minimumTopUpUnits('usd')).toBe(5000)
    expect(minimumTopUpUnits('gbp')).toBe(3000)
    expect(minimumTopUpUnits('jpy')).toBe(500_000)
    expect(minimumTopUpUnits('EUR')).toBe(5000)
    expect(minimumTopUpUnits('hkd')).toBe(40_000)
    expect(minimumTopUpUnits('huf')).toBe(1_750_000)
    expect(minimumTopUpUnits('mxn')).toBe(100_000)
    expect(minimumTopUpUnits('thb')).toBe(100_000)
  })

  it('knows every settlement currency on Stripe’s minimum-charge table, and only those', () => {
    expect(Object.keys(STRIPE_MINIMUM_CHARGE_MINOR).sort()).toEqual([
      'aed',
      'aud',
      'bgn',
      'brl',
      'cad',
      'chf',
      'czk',
      'dkk',
      'eur',
      'gbp',
      'hkd',
      'huf',
      'inr',
      'jpy',
      'mxn',
      'myr',
      'nok',
      'nzd',
      'pln',
      'ron',
      'sek',
      'sgd',
      'thb',
      'usd',
    ])
  })

  it('each minimum converts back to the same Stripe amount', () => {
    for (const [c, minor] of Object.entries(STRIPE_MINIMUM_CHARGE_MINOR)) {
      expect(unitsToMinor(minimumTopUpUnits(c), c)).toBe(minor)
    }
  })

  it('refuses currencies without a known minimum, naming the supported ones', () => {
    expect(() => minimumTopUpUnits('xyz')).toThrow(/Unsupported currency "xyz".*usd/)
    expect(isSupportedCurrency('usd')).toBe(true)
    expect(isSupportedCurrency('USD')).toBe(true)
    expect(isSupportedCurrency('krw')).toBe(false)
    expect(isSupportedCurrency(42 as unknown as string)).toBe(false)
  })
})

describe('formatUnits', () => {
  it('formats for people', () => {
    expect(formatUnits(500, 'usd')).toBe('$0.05')
    expect(formatUnits(5000, 'usd')).toBe('$0.50')
    expect(formatUnits(1, 'usd')).toBe('$0.0001')
    expect(formatUnits(123_456_789, 'usd')).toBe('$12,345.6789')
    expect(formatUnits(500_000, 'jpy')).toBe('¥50')
    expect(formatUnits(3000, 'gbp')).toBe('£0.30')
    expect(formatUnits(5000, 'eur', 'de-DE')).toBe('0,50\u00a0€')
  })

  it('refuses non-integers', () => {
    expect(() => formatUnits(Number.NaN, 'usd')).toThrow(Stripe402Error)
    expect(() => formatUnits(0.5, 'usd')).toThrow(Stripe402Error)
  })
})
