import { msg, str } from '@lit/localize';
import type { DeviceEventKind, DeviceHistoryEntryJson, DevicePermission, DeviceSummaryJson, TransferOfferJson } from '../../../node-core/src/api/device-methods.ts';
import type { BatchStatus } from '../controllers/device-queries.ts';
import { DEVICE_EVENT_KINDS } from '../lib/device-history.ts';

export function deviceStatusLabel(status: DeviceSummaryJson['status']): string {
  switch (status) {
    case 'active':
      return msg('active', { id: 'deviceStatus.active' });
    case 'decommissioned':
      return msg('decommissioned', { id: 'deviceStatus.decommissioned' });
  }
}

export function permissionLabel(permission: DevicePermission): string {
  switch (permission) {
    case 'read-telemetry':
      return msg('read telemetry', { id: 'permission.readTelemetry' });
    case 'operate':
      return msg('operate', { id: 'permission.operate' });
    case 'maintain':
      return msg('maintain', { id: 'permission.maintain' });
    case 'read-history':
      return msg('read history', { id: 'permission.readHistory' });
  }
}

export function eventKindLabel(kind: DeviceEventKind): string {
  switch (kind) {
    case 'installed':
      return msg('Installed', { id: 'deviceEvent.installed' });
    case 'firmwareUpdated':
      return msg('Firmware updated', { id: 'deviceEvent.firmwareUpdated' });
    case 'maintenancePerformed':
      return msg('Maintenance performed', { id: 'deviceEvent.maintenancePerformed' });
    case 'inspected':
      return msg('Inspected', { id: 'deviceEvent.inspected' });
    case 'incidentReported':
      return msg('Incident reported', { id: 'deviceEvent.incidentReported' });
    case 'decommissioned':
      return msg('Decommissioned', { id: 'deviceEvent.decommissioned' });
  }
}

export function offerStatusLabel(status: TransferOfferJson['status']): string {
  switch (status) {
    case 'open':
      return msg('open', { id: 'offerStatus.open' });
    case 'withdrawn':
      return msg('withdrawn', { id: 'offerStatus.withdrawn' });
    case 'expired':
      return msg('expired', { id: 'offerStatus.expired' });
  }
}

export function batchStatusLabel(status: BatchStatus): string {
  switch (status) {
    case 'anchored':
      return msg('anchored', { id: 'batchStatus.anchored' });
    case 'pending':
      return msg('pending', { id: 'batchStatus.pending' });
    case 'unanchored':
      return msg('not anchored', { id: 'batchStatus.unanchored' });
    case 'mismatch':
      return msg('altered or refused', { id: 'batchStatus.mismatch' });
    case 'verified':
      return msg('verified', { id: 'batchStatus.verified' });
  }
}


/** What one transaction in a device's history did, in a few words. */
export function historyLabel(entry: DeviceHistoryEntryJson): string {
  const payload = entry.payload;
  const key = `${entry.contract}.${entry.method}`;
  switch (key) {
    case 'device.register':
      return msg('Registered', { id: 'deviceHistory.register' });
    case 'device.recordEvent': {
      const kind = String(payload.kind);
      return (DEVICE_EVENT_KINDS as readonly string[]).includes(kind) ? eventKindLabel(kind as DeviceEventKind) : kind;
    }
    case 'device.offerTransfer':
      return msg('Transfer offered', { id: 'deviceHistory.offerTransfer' });
    case 'device.withdrawTransfer':
      return msg('Transfer offer withdrawn', { id: 'deviceHistory.withdrawTransfer' });
    case 'device.acceptTransfer':
      return msg('Transfer accepted', { id: 'deviceHistory.acceptTransfer' });
    case 'device.setPolicy':
      return Array.isArray(payload.permissions) && payload.permissions.length === 0
        ? msg('Access revoked', { id: 'deviceHistory.revoke' })
        : msg('Access granted', { id: 'deviceHistory.grant' });
    case 'device.recordToken':
      return msg('Access token issued', { id: 'deviceHistory.token' });
    case 'telemetry.setRule':
      return msg(str`Rule ${String(payload.name)} set`, { id: 'deviceHistory.setRule' });
    case 'telemetry.removeRule':
      return msg(str`Rule ${String(payload.name)} removed`, { id: 'deviceHistory.removeRule' });
    case 'telemetry.recordAlert':
      return msg(str`Alert: ${String(payload.rule)}`, { id: 'deviceHistory.alert' });
    default:
      return key;
  }
}
