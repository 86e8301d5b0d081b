import type { Contract } from './contract.ts';
import { recordToken, setPolicy } from './device-access.ts';
import { recordEvent, register } from './device-registry.ts';
import { acceptTransfer, offerTransfer, withdrawTransfer } from './device-transfer.ts';

/**
 * Devices: identity and registry, lifecycle events, two-sided ownership transfer, access policies
 * and the audit trail of access tokens (docs/devices.md). Business methods: members and admins sign
 * them, auditors do not.
 */
export const device: Contract = {
  name: 'device',
  methods: { register, recordEvent, offerTransfer, withdrawTransfer, acceptTransfer, setPolicy, recordToken },
};
