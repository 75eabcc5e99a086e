/** Where the CLI keeps its wallet: --wallet, else $STRIPE402_WALLET, else ~/.stripe402/wallet.json. */
import { homedir } from 'node:os'
import { join } from 'node:path'

export function walletPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env.STRIPE402_WALLET ?? join(homedir(), '.stripe402', 'wallet.json')
}
