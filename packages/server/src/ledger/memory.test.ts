import { runLedgerContract } from './contract'
import { MemoryLedger } from './memory'

runLedgerContract('memory', async () => ({ ledger: new MemoryLedger() }))
