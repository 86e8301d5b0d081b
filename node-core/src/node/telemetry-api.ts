import type { ParsedParams, Results } from '../api/methods.ts';
import { IngotError } from '../codec/errors.ts';
import { readRules } from '../contracts/telemetry-state.ts';
import type { IngotNode } from './node.ts';

/** The telemetry RPC methods (api/telemetry-methods.ts) over the node's telemetry service. */

const HEX = /^(?:[0-9a-f]{2})+$/;

/** Hex or base64 (standard or URL-safe). A signed batch starts with 0xa2, so its base64 starts with "o" and is never read as hex. */
export function batchBytes(text: string): Uint8Array {
  const bytes = HEX.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (bytes.length === 0) throw new IngotError('TELEMETRY_MALFORMED', 'the batch is empty', { field: 'batch' });
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export async function submitTelemetry(node: IngotNode, { batch }: ParsedParams<'telemetry.submit'>): Promise<Results['telemetry.submit']> {
  return node.telemetry.submit(batchBytes(batch));
}

export async function queryTelemetry(node: IngotNode, params: ParsedParams<'telemetry.query'>): Promise<Results['telemetry.query']> {
  return node.telemetry.query({ ...params, device: params.deviceId });
}

export async function fetchTelemetry(node: IngotNode, params: ParsedParams<'telemetry.fetch'>): Promise<Results['telemetry.fetch']> {
  return node.fetchTelemetry(params);
}

export async function telemetryStats(node: IngotNode): Promise<Results['telemetry.stats']> {
  const telemetry = node.telemetry;
  const mqtt = telemetry.mqtt;
  return { ...telemetry.stats, ...(mqtt === undefined ? {} : { mqtt }) };
}

export async function telemetryRules(node: IngotNode, { deviceId }: ParsedParams<'telemetry.rules'>): Promise<Results['telemetry.rules']> {
  return { device: deviceId, rules: await readRules(node.ledger, deviceId) };
}
