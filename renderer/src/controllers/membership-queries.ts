import type { ReactiveControllerHost } from 'lit';
import type { Results } from '../../../node-core/src/api/methods.ts';
import type { NodeConnection } from '../rpc/connection.ts';
import { LedgerQueryController } from './ledger-query-controller.ts';

/** Who is online changes without a block: look again this often. */
const MEMBERS_POLL_MS = 5000;

/** The membership reads a screen needs, each kept current after every block. */
export class MembershipQueries {
  readonly members: LedgerQueryController<Results['members.list']>;
  readonly proposals: LedgerQueryController<Results['proposals.list']>;
  readonly invites: LedgerQueryController<Results['invites.list']>;

  constructor(host: ReactiveControllerHost, connection: () => NodeConnection | undefined, includeClosed: () => boolean) {
    this.members = new LedgerQueryController(host, connection, (c) => c.call('members.list', {}), { pollMs: MEMBERS_POLL_MS });
    this.proposals = new LedgerQueryController(host, connection, (c) => c.call('proposals.list', { includeClosed: includeClosed() }));
    this.invites = new LedgerQueryController(host, connection, (c) => c.call('invites.list', {}));
  }

  /** Whether this node's organisation may invite, propose and vote: an active admin. */
  isAdmin(): boolean {
    const self = this.members.value?.orgs.find((org) => org.self);
    return self !== undefined && self.status === 'active' && self.roles.includes('admin');
  }

  /** Organisation names by id, for lists that name organisations by id. */
  names(): ReadonlyMap<string, string> {
    return new Map((this.members.value?.orgs ?? []).map((org) => [org.id, org.name]));
  }
}
