/** Rule and metric names as the telemetry contract takes them (contracts/telemetry-state.ts, codec/telemetry.ts). */
const RULE_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const METRIC_NAME = /^[a-z][a-z0-9_.-]{0,31}$/;
/** A week, the contract's bound on forSeconds. */
const FOR_SECONDS_MAX = 604_800;
/** Readings are integers in milli-units within ±9·10^12 (docs/telemetry.md#batch-format). */
const MILLI_MAX = 9e12;

export interface RuleForm {
  name: string;
  metric: string;
  /** Thresholds as typed, in the metric's unit ("-18.5"); empty for none. */
  above: string;
  below: string;
  forSeconds: string;
  /** An organisation id, or '' for none. */
  assignTo: string;
}

export type RulePayload = { device: string; name: string; metric: string; above?: number; below?: number; forSeconds: number; assignTo?: string };
export type RuleProblem = 'name' | 'metric' | 'threshold' | 'forSeconds';

/** A threshold in the metric's unit as milli-units; undefined when empty, NaN when not a number. */
function milli(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return Number.NaN;
  const value = Math.round(Number(trimmed) * 1000);
  return Math.abs(value) <= MILLI_MAX ? value : Number.NaN;
}

/** The `telemetry.setRule` payload a rule form describes, or the first field that is wrong. */
export function rulePayload(device: string, form: RuleForm): RulePayload | { problem: RuleProblem } {
  const name = form.name.trim();
  const metric = form.metric.trim();
  if (!RULE_NAME.test(name)) return { problem: 'name' };
  if (!METRIC_NAME.test(metric)) return { problem: 'metric' };
  const above = milli(form.above);
  const below = milli(form.below);
  if (Number.isNaN(above) || Number.isNaN(below) || (above === undefined && below === undefined)) return { problem: 'threshold' };
  const seconds = form.forSeconds.trim() === '' ? 0 : Number(form.forSeconds.trim());
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > FOR_SECONDS_MAX) return { problem: 'forSeconds' };
  return {
    device,
    name,
    metric,
    ...(above === undefined ? {} : { above }),
    ...(below === undefined ? {} : { below }),
    forSeconds: seconds,
    ...(form.assignTo === '' ? {} : { assignTo: form.assignTo }),
  };
}
