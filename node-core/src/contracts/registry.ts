import type { Contract, Method } from './contract.ts';
import { identity } from './identity.ts';

/** The built-in contracts; membership's records are written by genesis until governance methods exist. */
const contracts: ReadonlyMap<string, Contract> = new Map([identity].map((contract) => [contract.name, contract]));

export function findMethod(contract: string, method: string): Method<unknown> | 'no-contract' | 'no-method' {
  const found = contracts.get(contract);
  if (found === undefined) return 'no-contract';
  if (!Object.hasOwn(found.methods, method)) return 'no-method';
  return found.methods[method] as Method<unknown>;
}
