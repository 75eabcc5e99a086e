/** `@stripe402/server/testing`: the ledger contract suite, for anyone writing a Ledger of their own. */
export { type LedgerHarness, runLedgerContract } from './ledger/contract'
