import type { Contract, Method } from './contract.ts';
import { consensus } from './consensus.ts';
import { identity } from './identity.ts';
import { membership } from './membership.ts';

/** The built-in contracts. */
const contracts: ReadonlyMap<string, Contract> = new Map([membership, identity, consensus].map((contract) => [contract.name, contract]));

export function findMethod(contract: string, method: string): Method<unknown> | 'no-contract' | 'no-method' {
  const found = contracts.get(contract);
  if (found === undefined) return 'no-contract';
  if (!Object.hasOwn(found.methods, method)) return 'no-method';
  return found.methods[method] as Method<unknown>;
}
