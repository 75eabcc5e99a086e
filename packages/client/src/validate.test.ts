// Options are checked once, at creation: a typo fails loudly instead of changing how money moves.
import { describe, expect, it } from 'vitest'
import { createPayingFetch, type PayingFetchOptions } from './index'

describe('createPayingFetch options', () => {
  it.each<[string, PayingFetchOptions, RegExp]>([
    ['a zero topUpWaitMs', { topUpWaitMs: 0 }, /topUpWaitMs/],
    ['a fractional topUpWaitMs', { topUpWaitMs: 1.5 }, /topUpWaitMs/],
    ['a topUpWaitMs a timer cannot hold', { topUpWaitMs: 2 ** 31 }, /topUpWaitMs/],
    ['an unknown onPublishableKeyChange', { policy: { onPublishableKeyChange: 'ignore' as 'warn' } }, /onPublishableKeyChange/],
  ])('refuses %s', (_name, options, message) => {
    expect(() => createPayingFetch(options)).toThrow(expect.objectContaining({ code: 'invalid_options', message: expect.stringMatching(message) }))
  })

  it('accepts the new options set sensibly', () => {
    expect(() => createPayingFetch({ topUpWaitMs: 120_000, allowInsecureHttp: true, policy: { onPublishableKeyChange: 'refuse' } })).not.toThrow()
  })
})
