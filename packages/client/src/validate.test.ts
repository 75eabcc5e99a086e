// Options are checked once, at creation: a typo fails loudly instead of changing how money moves.
import { describe, expect, it } from 'vitest'
import { createPayingFetch, type PayingFetchOptions } from './index'

describe('createPayingFetch options', () => {
  it.each<[string, PayingFetchOptions, RegExp]>([
    ['a zero topUpWaitMs', { topUpWaitMs: 0 }, /topUpWaitMs/],
    ['a fractional topUpWaitMs', { topUpWaitMs: 1.5 }, /topUpWaitMs/],
    ['a topUpWaitMs a timer cannot hold', { topUpWaitMs: 2 ** 31 }, /topUpWaitMs/],
    [
      'an unknown onPublishableKeyChange',
      { policy: { onPublishableKeyChange: 'ignore' as 'warn' } },
      /onPublishableKeyChange/,
    ],
    [
      'a stripeApiBase that is not http(s)',
      { stripeApiBase: 'ftp://api.stripe.com' },
      /stripeApiBase must be an http\(s\) URL/,
    ],
    [
      'card details over plain HTTP to another host',
      { stripeApiBase: 'http://stripe.example.com' },
      /plain HTTP: card details go only over HTTPS or to loopback/,
    ],
  ])('refuses %s', (_name, options, message) => {
    expect(() => createPayingFetch(options)).toThrow(
      expect.objectContaining({ code: 'invalid_options', message: expect.stringMatching(message) }),
    )
  })

  it.each([
    'https://api.stripe.com',
    'http://127.0.0.1:12111',
    'http://localhost:12111',
    'http://[::1]:12111',
  ])('takes stripeApiBase %s', (stripeApiBase) => {
    expect(() => createPayingFetch({ stripeApiBase })).not.toThrow()
  })

  it('takes a plain-HTTP stripeApiBase on another host only with allowInsecureHttp', () => {
    expect(() =>
      createPayingFetch({ stripeApiBase: 'http://stripe-mock:12111', allowInsecureHttp: true }),
    ).not.toThrow()
  })

  it('accepts the new options set sensibly', () => {
    expect(() =>
      createPayingFetch({
        topUpWaitMs: 120_000,
        allowInsecureHttp: true,
        policy: { onPublishableKeyChange: 'refuse' },
      }),
    ).not.toThrow()
  })
})
