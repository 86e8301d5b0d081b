import type { JsonValue } from '../../../node-core/src/api/json.ts';
import type { PolicyJson, ProposalJson, RoleName } from '../../../node-core/src/api/methods.ts';

const ROLE_ORDER: readonly RoleName[] = ['admin', 'validator', 'member', 'auditor'];

function text(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

/** What a proposal's details say, in the fields the screen shows; anything malformed reads as empty. */
export interface ProposalFacts {
  /** The organisation it is about: for `admit`, the joining one's name (it has no record yet). */
  org: string;
  name: string;
  roles: RoleName[];
  key: string;
  power: number | undefined;
  nodes: string[];
  policy: PolicyJson | undefined;
}

export function proposalFacts(proposal: ProposalJson): ProposalFacts {
  const details = proposal.details;
  const roles = Array.isArray(details.roles) ? ROLE_ORDER.filter((role) => (details.roles as JsonValue[]).includes(role)) : [];
  const nodes = Array.isArray(details.nodes) ? details.nodes.filter((node): node is string => typeof node === 'string') : [];
  const policy = details.policy !== null && typeof details.policy === 'object' && !Array.isArray(details.policy) ? (details.policy as unknown as PolicyJson) : undefined;
  return {
    org: proposal.kind === 'admit' ? proposal.subject : text(details.org) || proposal.subject,
    name: text(details.name),
    roles,
    key: text(details.key),
    power: typeof details.power === 'number' ? details.power : undefined,
    nodes,
    policy,
  };
}

/**
 * How far a proposal is: yes and no as fractions of the voters, and whether the yes votes still
 * missing could come from those who have not voted.
 */
export function tallyShares(tally: ProposalJson['tally']): { yes: number; no: number; needed: number; missing: number } {
  const voters = Math.max(1, tally.voters);
  return {
    yes: Math.min(1, tally.yes / voters),
    no: Math.min(1, tally.no / voters),
    needed: Math.min(1, tally.needed / voters),
    missing: Math.max(0, tally.needed - tally.yes),
  };
}
