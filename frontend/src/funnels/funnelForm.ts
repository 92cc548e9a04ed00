// The funnel form ⇄ the route (so links and reloads keep a funnel) ⇄ the body of POST /v1/funnels/query, and the
// answer → chart rows. Pure.
import type {
  FunnelAnswer,
  FunnelOrder,
  FunnelPersonStatus,
  FunnelPersonsBody,
  FunnelQueryBody,
  FunnelStepResult,
  StepFilters,
} from '../api/types';
import { parseDuration } from '../lib/duration';
import { rangeFromParams, rangeToParams, resolveQueryRange, type QueryRange } from '../lib/queryRange';

export const MIN_STEPS = 2;
export const MAX_STEPS = 20;
export const FUNNEL_ORDERS: readonly { value: FunnelOrder; label: string }[] = [
  { value: 'ordered', label: 'In order (others between)' },
  { value: 'strict', label: 'Strictly in a row' },
  { value: 'any', label: 'Any order' },
];
export const WINDOW_CHOICES = ['1h', '1d', '7d', '14d', '30d'] as const;
export const DEFAULT_WINDOW = '14d';
export const DEFAULT_RANGE = '7d';

/** Property path → value rows, as the explorer's filter editor holds them. */
export type FilterRows = [string, string][];

export interface StepDraft {
  eventType: string;
  filters: FilterRows;
}

export interface ExclusionDraft extends StepDraft {
  /** 1-based. */
  fromStep: number;
  toStep: number;
}

export interface FunnelForm extends QueryRange {
  project: string;
  steps: StepDraft[];
  window: string;
  order: FunnelOrder;
  breakdown: string;
  exclusions: ExclusionDraft[];
}

export const emptyStep = (): StepDraft => ({ eventType: '', filters: [] });

export const EMPTY_FUNNEL: FunnelForm = {
  project: '',
  steps: [emptyStep(), emptyStep()],
  window: DEFAULT_WINDOW,
  order: 'ordered',
  breakdown: '',
  exclusions: [],
  range: DEFAULT_RANGE,
  from: '',
  to: '',
};

const isOrder = (v: unknown): v is FunnelOrder => v === 'ordered' || v === 'strict' || v === 'any';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readFilters(v: unknown): FilterRows {
  if (!Array.isArray(v)) return [];
  return v.filter(
    (p): p is [string, string] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string',
  );
}

function readStep(v: unknown): StepDraft | null {
  if (!isObject(v) || typeof v.e !== 'string') return null;
  return { eventType: v.e, filters: readFilters(v.f) };
}

/**
 * The funnel a route describes: `steps` (JSON: [{e, f: [[path, value]…]}…]), `exclusions` (the same with `a`, `b`:
 * the steps between), `window`, `order`, `breakdown`, `project`, and the range. Anything unreadable is the default.
 */
export function funnelFromParams(params: URLSearchParams): FunnelForm {
  const json = (name: string): unknown => {
    try {
      return JSON.parse(params.get(name) ?? 'null') as unknown;
    } catch {
      return null;
    }
  };
  const rawSteps = json('steps');
  const steps = Array.isArray(rawSteps)
    ? rawSteps
        .map(readStep)
        .filter((s): s is StepDraft => s !== null)
        .slice(0, MAX_STEPS)
    : [];
  while (steps.length < MIN_STEPS) steps.push(emptyStep());
  const rawExclusions = json('exclusions');
  const exclusions = Array.isArray(rawExclusions)
    ? rawExclusions.flatMap((x): ExclusionDraft[] => {
        const s = readStep(x);
        if (s === null || !isObject(x) || !Number.isInteger(x.a) || !Number.isInteger(x.b)) return [];
        return [{ ...s, fromStep: x.a as number, toStep: x.b as number }];
      })
    : [];
  const window = params.get('window') ?? '';
  const order = params.get('order');
  return {
    project: params.get('project') ?? '',
    steps,
    window: parseDuration(window) !== undefined ? window : DEFAULT_WINDOW,
    order: isOrder(order) ? order : 'ordered',
    breakdown: params.get('breakdown') ?? '',
    exclusions,
    ...rangeFromParams(params, DEFAULT_RANGE),
  };
}

const stepJson = (s: StepDraft) => ({ e: s.eventType, ...(s.filters.length > 0 ? { f: s.filters } : {}) });

export function funnelToParams(form: FunnelForm): Record<string, string | undefined> {
  return {
    project: form.project || undefined,
    steps: JSON.stringify(form.steps.map(stepJson)),
    exclusions:
      form.exclusions.length > 0
        ? JSON.stringify(form.exclusions.map((x) => ({ ...stepJson(x), a: x.fromStep, b: x.toStep })))
        : undefined,
    window: form.window === DEFAULT_WINDOW ? undefined : form.window,
    order: form.order === 'ordered' ? undefined : form.order,
    breakdown: form.breakdown.trim() || undefined,
    ...rangeToParams(form),
  };
}

/** Filter rows → the body's filters (rows without a path are left out; a later row for the same path wins). */
export function filtersBody(rows: FilterRows): StepFilters | undefined {
  const out: StepFilters = {};
  for (const [path, value] of rows) if (path.trim() !== '') out[path.trim()] = value;
  return Object.keys(out).length > 0 ? out : undefined;
}

const stepBody = (s: StepDraft) => {
  const filters = filtersBody(s.filters);
  return { event_type: s.eventType.trim(), ...(filters ? { filters } : {}) };
};

/** The body of POST /v1/funnels/query; a relative range ends at `nowMs`. The API checks the rest and says why. */
export function funnelBody(form: FunnelForm, nowMs: number): FunnelQueryBody {
  const { from, to } = resolveQueryRange(form, nowMs);
  return {
    ...(form.project ? { project: form.project } : {}),
    steps: form.steps.map(stepBody),
    window: form.window,
    from,
    to,
    order: form.order,
    ...(form.breakdown.trim() ? { breakdown: form.breakdown.trim() } : {}),
    ...(form.exclusions.length > 0
      ? { exclusions: form.exclusions.map((x) => ({ ...stepBody(x), from_step: x.fromStep, to_step: x.toStep })) }
      : {}),
  };
}

/** What a click on a bar asks for: the persons who reached `step` (converted) or dropped just before it. */
export interface PersonsSelection {
  step: number;
  status: FunnelPersonStatus;
  /** The breakdown value whose funnel was clicked, or null for the whole funnel. */
  breakdownValue: string | null;
}

/** The body of POST /v1/funnels/persons for a selection of an answered query (same bounds as the answer). */
export function personsBody(
  query: FunnelQueryBody,
  answer: Pick<FunnelAnswer, 'from' | 'to'>,
  sel: PersonsSelection,
  cursor: string | null,
  limit: number,
): FunnelPersonsBody {
  return {
    ...query,
    from: answer.from,
    to: answer.to,
    step: sel.step,
    status: sel.status,
    ...(sel.breakdownValue !== null ? { breakdown_value: sel.breakdownValue } : {}),
    ...(cursor !== null ? { cursor } : {}),
    limit,
  };
}

/** `$other` groups many values: the persons endpoint matches one value, so its persons cannot be listed. */
export const canListPersons = (breakdownValue: string | null) => breakdownValue !== '$other';

export interface FunnelBarRow {
  step: number;
  label: string;
  /** Persons who reached the step. */
  converted: number;
  /** Persons who reached the previous step but not this one (0 at step 1). */
  dropped: number;
  conversionFromFirst: number | null;
}

export function chartRows(steps: readonly FunnelStepResult[]): FunnelBarRow[] {
  return steps.map((s) => ({
    step: s.step,
    label: `${s.step}. ${s.event_type}`,
    converted: s.count,
    dropped: s.drop_off,
    conversionFromFirst: s.conversion_from_first,
  }));
}

/** The steps of the whole funnel or of one breakdown value ('' or unknown → the whole funnel). */
export function stepsFor(answer: FunnelAnswer, breakdownValue: string | null): FunnelStepResult[] {
  if (breakdownValue === null) return answer.steps;
  return answer.breakdown_values?.find((b) => b.value === breakdownValue)?.steps ?? answer.steps;
}

/** 0.4567 → "45.7%"; null → "—". */
export function formatPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  return `${(Math.round(ratio * 1000) / 10).toFixed(1)}%`;
}

/** Seconds → "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h"; null → "—". */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 60) return `${seconds < 10 ? Math.round(seconds * 10) / 10 : Math.round(seconds)} s`;
  const s = Math.round(seconds);
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const i = units.findIndex(([size]) => s >= size);
  const [big, bigName] = units[i]!;
  const [small, smallName] = units[i + 1]!;
  const whole = Math.floor(s / big);
  const rest = Math.floor((s - whole * big) / small);
  return rest === 0 ? `${whole} ${bigName}` : `${whole} ${bigName} ${rest} ${smallName}`;
}
