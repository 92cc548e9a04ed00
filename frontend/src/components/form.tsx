// The form controls every screen uses: a labelled field, text and select inputs, the project picker and a button
// shown only to a role that may press it. Labels stay real <label for> elements, so screen readers and the browser tests
// find each control by its label.
import { useQuery } from '@tanstack/react-query';
import {
  useId,
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';
import { adminQueries } from '../api/queries';
import { useSession } from '../auth/AuthProvider';

export interface Choice<T extends string = string> {
  value: T;
  label: string;
}

/** Plain strings are their own labels. */
export type Choices<T extends string = string> = readonly (T | Choice<T>)[];

interface FieldFrame {
  label: ReactNode;
  /** Small print under the control. */
  hint?: ReactNode;
  /** Label beside the control instead of above it. */
  inline?: boolean;
  /** The label's class (default field__label). */
  labelClassName?: string;
}

/** A label and the control it names; `children` gets the id to give the control. */
export function Field({
  label,
  hint,
  inline,
  labelClassName = 'field__label',
  children,
}: FieldFrame & { children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className={inline ? 'field field--inline' : 'field'}>
      <label className={labelClassName} htmlFor={id}>
        {label}
      </label>
      {children(id)}
      {hint !== undefined && <span className="field__hint">{hint}</span>}
    </div>
  );
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'className'> & {
  value: string;
  onChange: (value: string) => void;
};

export function TextField({ label, hint, inline, value, onChange, ...input }: FieldFrame & InputProps) {
  return (
    <Field {...{ label, hint, inline }}>
      {(id) => <input id={id} className="input" value={value} onChange={(e) => onChange(e.target.value)} {...input} />}
    </Field>
  );
}

type TextAreaProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onChange' | 'className'> & {
  value: string;
  onChange: (value: string) => void;
};

export function TextAreaField({ label, hint, inline, value, onChange, ...textarea }: FieldFrame & TextAreaProps) {
  return (
    <Field {...{ label, hint, inline }}>
      {(id) => (
        <textarea id={id} className="input" value={value} onChange={(e) => onChange(e.target.value)} {...textarea} />
      )}
    </Field>
  );
}

type SelectProps<T extends string> = Omit<
  SelectHTMLAttributes<HTMLSelectElement>,
  'value' | 'onChange' | 'className' | 'multiple' | 'children'
> & {
  value: T;
  options: Choices<T>;
  onChange: (value: T) => void;
  /** A first option for "none"/"all", with the value "". */
  emptyLabel?: string;
};

/** A single-choice select over `options` (values are strings; the value is always one of them). */
export function Select<T extends string>({ value, options, onChange, emptyLabel, ...select }: SelectProps<T>) {
  return (
    <select className="input" value={value} onChange={(e) => onChange(e.target.value as T)} {...select}>
      {emptyLabel !== undefined && <option value="">{emptyLabel}</option>}
      {options.map((o) => {
        const { value: v, label } = typeof o === 'string' ? { value: o, label: o } : o;
        return (
          <option key={v} value={v}>
            {label}
          </option>
        );
      })}
    </select>
  );
}

export function SelectField<T extends string>({ label, hint, inline, ...select }: FieldFrame & SelectProps<T>) {
  return <Field {...{ label, hint, inline }}>{(id) => <Select id={id} {...select} />}</Field>;
}

/** The values a text input offers while typing (`<input list={id}>`); any other value can still be typed. */
export function Suggestions({ id, values }: { id: string; values: readonly string[] }) {
  return (
    <datalist id={id}>
      {values.map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
}

/** Every kind of metric (docs/api.md#metrics), sums, averages and percentiles with an example path. */
const METRIC_EXAMPLES = [
  'count',
  'unique_users',
  'sum:amount',
  'avg:amount',
  'p50:amount',
  'p90:amount',
  'p95:amount',
  'p99:amount',
];

/**
 * How our percentiles are computed (docs/api.md#metrics): the lower quantile, the value at rank ⌊q·(n−1)⌋ of the
 * sorted values, never an interpolation, so a percentile is always a value that occurred.
 */
export const PERCENTILE_HELP =
  'pNN:<path> is the lower quantile: the value at rank ⌊q·(n−1)⌋ of the sorted values (no interpolation), so p95 of {10, 200} is 10.';

/** A metric name, offering every kind while typing; `extra` adds kinds only some forms take (an alert's ratio). */
export function MetricField({
  value,
  onChange,
  extra = [],
}: {
  value: string;
  onChange: (metric: string) => void;
  extra?: readonly string[];
}) {
  const listId = useId();
  return (
    <>
      <TextField
        label="Metric"
        list={listId}
        value={value}
        onChange={onChange}
        hint={/^p(50|90|95|99):/.test(value) ? PERCENTILE_HELP : undefined}
        title={PERCENTILE_HELP}
      />
      <Suggestions id={listId} values={[...METRIC_EXAMPLES, ...extra]} />
    </>
  );
}

/** The tenant's projects ("" = all projects); a value not in the list (yet) stays selectable. */
export function ProjectSelectField({
  label = 'Project',
  value,
  onChange,
  emptyLabel = 'All projects',
}: {
  label?: string;
  value: string;
  onChange: (slug: string) => void;
  emptyLabel?: string;
}) {
  const session = useSession();
  const projects = useQuery(adminQueries.projects(session));
  const slugs = [...new Set([...(projects.data ?? []).map((p) => p.slug), ...(value ? [value] : [])])];
  return <SelectField label={label} value={value} options={slugs} onChange={onChange} emptyLabel={emptyLabel} />;
}

/** A button for a change the role may make; not shown at all to a role that may not (nor while the role is unknown). */
export function AdminButton({
  allowed,
  className = 'button',
  ...button
}: ButtonHTMLAttributes<HTMLButtonElement> & { allowed: boolean | undefined }) {
  if (allowed !== true) return null;
  return <button type="button" className={className} {...button} />;
}

/** A one-time secret (a new API key, a webhook signing secret): shown until the user says it is copied. */
export function OnceNotice({
  title,
  onDismiss,
  children,
}: {
  title: string;
  onDismiss: () => void;
  children: ReactNode;
}) {
  return (
    <div className="notice notice--secret" role="status">
      <p>
        <strong>{title}</strong>
      </p>
      {children}
      <button type="button" className="button" onClick={onDismiss}>
        I have copied it
      </button>
    </div>
  );
}
