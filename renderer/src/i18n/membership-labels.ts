import { msg, str } from '@lit/localize';
import type { InviteStatus, MemberOrgJson, ProposalKind, ProposalStatus, RoleName, VoteChoice } from '../../../node-core/src/api/methods.ts';
import { duration } from '../lib/duration.ts';

/** The roles in the order they are offered (docs/membership.md#roles). */
export const ROLES: readonly RoleName[] = ['admin', 'validator', 'member', 'auditor'];

export function roleLabel(role: RoleName): string {
  switch (role) {
    case 'admin':
      return msg('Admin', { id: 'role.admin' });
    case 'validator':
      return msg('Validator', { id: 'role.validator' });
    case 'member':
      return msg('Member', { id: 'role.member' });
    case 'auditor':
      return msg('Auditor', { id: 'role.auditor' });
  }
}

export function roleHint(role: RoleName): string {
  switch (role) {
    case 'admin':
      return msg('invites, proposes and votes', { id: 'role.adminHint' });
    case 'validator':
      return msg('its nodes take part in consensus', { id: 'role.validatorHint' });
    case 'member':
      return msg('sends business transactions', { id: 'role.memberHint' });
    case 'auditor':
      return msg('reads, sends no business transactions', { id: 'role.auditorHint' });
  }
}

export function orgStatusLabel(status: MemberOrgJson['status']): string {
  switch (status) {
    case 'active':
      return msg('active', { id: 'orgStatus.active' });
    case 'suspended':
      return msg('suspended', { id: 'orgStatus.suspended' });
    case 'removed':
      return msg('removed', { id: 'orgStatus.removed' });
  }
}

export function inviteStatusLabel(status: InviteStatus): string {
  switch (status) {
    case 'open':
      return msg('open', { id: 'inviteStatus.open' });
    case 'used':
      return msg('used', { id: 'inviteStatus.used' });
    case 'revoked':
      return msg('revoked', { id: 'inviteStatus.revoked' });
    case 'expired':
      return msg('expired', { id: 'inviteStatus.expired' });
  }
}

export function proposalStatusLabel(status: ProposalStatus): string {
  switch (status) {
    case 'open':
      return msg('open', { id: 'proposalStatus.open' });
    case 'passed':
      return msg('passed', { id: 'proposalStatus.passed' });
    case 'rejected':
      return msg('rejected', { id: 'proposalStatus.rejected' });
    case 'expired':
      return msg('expired', { id: 'proposalStatus.expired' });
  }
}

export function proposalKindLabel(kind: ProposalKind): string {
  switch (kind) {
    case 'admit':
      return msg('Admit a new organisation', { id: 'proposalKind.admit' });
    case 'setRoles':
      return msg('Change roles', { id: 'proposalKind.setRoles' });
    case 'addValidator':
      return msg('Add a validator', { id: 'proposalKind.addValidator' });
    case 'removeValidator':
      return msg('Remove a validator', { id: 'proposalKind.removeValidator' });
    case 'suspend':
      return msg('Suspend an organisation', { id: 'proposalKind.suspend' });
    case 'reinstate':
      return msg('Reinstate an organisation', { id: 'proposalKind.reinstate' });
    case 'remove':
      return msg('Remove an organisation', { id: 'proposalKind.remove' });
    case 'setPolicy':
      return msg('Change the voting policy', { id: 'proposalKind.setPolicy' });
  }
}

export function voteLabel(choice: VoteChoice): string {
  return choice === 'yes' ? msg('yes', { id: 'vote.yes' }) : msg('no', { id: 'vote.no' });
}

/** "about 3 min", for estimated times. */
export function durationText(seconds: number): string {
  const { value, unit } = duration(seconds);
  switch (unit) {
    case 's':
      return msg(str`${value} s`, { id: 'duration.seconds' });
    case 'min':
      return msg(str`${value} min`, { id: 'duration.minutes' });
    case 'h':
      return msg(str`${value} h`, { id: 'duration.hours' });
    case 'd':
      return msg(str`${value} d`, { id: 'duration.days' });
  }
}
