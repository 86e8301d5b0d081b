import type { BlockContext, Contract, Method } from './contract.ts';
import { consensus } from './consensus.ts';
import { identity } from './identity.ts';
import { membership } from './membership.ts';
import { records } from './records.ts';
import { telemetry } from './telemetry.ts';
import { device } from './device.ts';
import type { StateOverlay } from '../ledger/state.ts';

/** The built-in contracts, in the order their end-of-block steps run. */
const contracts: ReadonlyMap<string, Contract> = new Map([membership, identity, consensus, records, device, telemetry].map((contract) => [contract.name, contract]));

export function findMethod(contract: string, method: string): Method<unknown> | 'no-contract' | 'no-method' {
  const found = contracts.get(contract);
  if (found === undefined) return 'no-contract';
  if (!Object.hasOwn(found.methods, method)) return 'no-method';
  return found.methods[method] as Method<unknown>;
}

type EndBlockStep = (state: StateOverlay, block: BlockContext) => Promise<void>;
const steps: readonly EndBlockStep[] = [...contracts.values()].flatMap((contract) => (contract.endBlock === undefined ? [] : [contract.endBlock]));

/** What runs after a block's last transaction, in a fixed order. */
export function endBlockSteps(): readonly EndBlockStep[] {
  return steps;
}
