/**
 * `createTreasuryFetch` for an agent's code: it lives in `@stripe402/client` (agents depend on the
 * client, never on the service), and is re-exported here for code that imports it from the treasury.
 */
export {
  createTreasuryFetch,
  getTreasuryInfo,
  type TreasuryAccount,
  type TreasuryFetch,
  type TreasuryFetchOptions,
  type TreasuryInfo,
} from '@stripe402/client'
