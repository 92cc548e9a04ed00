// The event catalog: per project its schema mode, event types with properties (observed/declared types, counts,
// first/last seen), editing descriptions and declared types (admin), and what strict mode and the caps rejected.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { adminQueries, catalogQueries } from '../api/queries';
import { api, type CatalogEntry, type CatalogProject } from '../api/resources';
import { useSession } from '../auth/AuthProvider';
import { EmptyState, ErrorState, LoadingState } from '../components/PanelStates';
import { formatDateTime, formatNumber } from '../lib/format';
import { hrefFor } from '../lib/router';
import { READ_ONLY_HINT, useIsAdmin } from '../shell/scope';

const DECLARABLE = ['string', 'number', 'boolean', 'object', 'array'] as const;
const when = (iso: string | null) => (iso === null ? '—' : formatDateTime(iso));

export function CatalogScreen() {
  const session = useSession();
  const catalog = useQuery(catalogQueries.full(session));
  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Event catalog</h1>
        <p className="muted">Event types and properties seen per project. Counts cover the last 24 h.</p>
      </div>
      {catalog.isPending ? (
        <LoadingState label="Loading the catalog…" />
      ) : catalog.data === undefined ? (
        <ErrorState title="Could not load the catalog" error={catalog.error} onRetry={() => void catalog.refetch()} />
      ) : catalog.data.length === 0 ? (
        <EmptyState title="No projects yet">
          <p>
            Create one under <a href={hrefFor('settings')}>Projects &amp; keys</a>.
          </p>
        </EmptyState>
      ) : (
        catalog.data.map((project) => <ProjectCatalog key={project.project} project={project} />)
      )}
      <ViolationsSection />
    </>
  );
}

function ProjectCatalog({ project }: { project: CatalogProject }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const isAdmin = useIsAdmin();
  const modeId = useId();
  const setMode = useMutation({
    mutationFn: (schema_mode: 'open' | 'strict') => api.updateProject(session.client, project.project, { schema_mode }),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: catalogQueries.all(session) }),
        queryClient.invalidateQueries({ queryKey: adminQueries.projects(session).queryKey }),
      ]),
  });
  const headingId = `catalog-${project.project}`;
  return (
    <section className="section" aria-labelledby={headingId}>
      <div className="section__header section__header--row">
        <h2 id={headingId}>Project {project.project}</h2>
        <div className="field field--inline">
          <label className="field__label" htmlFor={modeId}>
            Schema mode
          </label>
          <select
            id={modeId}
            className="input"
            value={project.schema_mode}
            disabled={!isAdmin || setMode.isPending}
            title={isAdmin ? 'open: new types and properties are registered; strict: unknown types and wrongly typed properties are rejected' : READ_ONLY_HINT}
            onChange={(e) => setMode.mutate(e.target.value as 'open' | 'strict')}
          >
            <option value="open">open</option>
            <option value="strict">strict</option>
          </select>
        </div>
        {project.limits && (
          <span className="muted">
            caps: {formatNumber(project.limits.max_event_types)} types, {formatNumber(project.limits.max_properties_per_type)} properties per type
          </span>
        )}
      </div>
      {setMode.isError && <ErrorState title="Could not switch the schema mode" error={setMode.error} />}
      {project.event_types.length === 0 ? (
        <EmptyState title="No event types in this project yet" />
      ) : (
        <ul className="catalog-list">
          {project.event_types.map((entry) => (
            <li key={entry.event_type}>
              <EventTypeCard project={project.project} entry={entry} canEdit={isAdmin === true} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function EventTypeCard({ project, entry, canEdit }: { project: string; entry: CatalogEntry; canEdit: boolean }) {
  const [editing, setEditing] = useState(false);
  const headingId = useId();
  return (
    <article className="panel" aria-labelledby={headingId}>
      <header className="panel__header">
        <h3 id={headingId} className="panel__title">
          {entry.event_type}
        </h3>
        {entry.status === 'deprecated' && <span className="badge badge--warn">deprecated</span>}
        {entry.declared && <span className="badge">declared</span>}
        <span className="muted">
          {formatNumber(entry.count_24h)} in 24 h · first {when(entry.first_seen)} · last {when(entry.last_seen)}
        </span>
        <a href={hrefFor('explorer', { event_type: entry.event_type, project })}>events</a>
        <button type="button" className="button" disabled={!canEdit} title={canEdit ? undefined : READ_ONLY_HINT} onClick={() => setEditing(!editing)} aria-expanded={editing}>
          {editing ? 'Close editor' : 'Edit'}
        </button>
      </header>
      {!editing && <p className={entry.description ? '' : 'muted'}>{entry.description || 'No description.'}</p>}
      {editing ? (
        <EventTypeEditor project={project} entry={entry} onDone={() => setEditing(false)} />
      ) : entry.properties.length === 0 ? (
        <p className="muted">No properties seen.</p>
      ) : (
        <div className="table-scroll">
          <table className="events-table">
            <caption className="visually-hidden">Properties of {entry.event_type}</caption>
            <thead>
              <tr>
                <th scope="col">Property</th>
                <th scope="col">Observed types</th>
                <th scope="col">Declared type</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {entry.properties.map((p) => (
                <tr key={p.name}>
                  <td className="mono">{p.name}</td>
                  <td>{p.observed_types.join(', ') || '—'}</td>
                  <td>{p.declared_type ?? <span className="muted">—</span>}</td>
                  <td>{when(p.first_seen)}</td>
                  <td>{when(p.last_seen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </article>
  );
}

function EventTypeEditor({ project, entry, onDone }: { project: string; entry: CatalogEntry; onDone: () => void }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const id = useId();
  const [description, setDescription] = useState(entry.description ?? '');
  const [status, setStatus] = useState(entry.status);
  const [declared, setDeclared] = useState<Record<string, string>>(() => Object.fromEntries(entry.properties.map((p) => [p.name, p.declared_type ?? ''])));
  const [newProp, setNewProp] = useState('');
  const save = useMutation({
    mutationFn: () => {
      const properties: Record<string, string | null> = {};
      for (const [name, type] of Object.entries(declared)) {
        const before = entry.properties.find((p) => p.name === name)?.declared_type ?? '';
        if (type !== before) properties[name] = type === '' ? null : type;
      }
      return api.declareEventType(session.client, entry.event_type, {
        project,
        description: description.trim() === '' ? null : description.trim(),
        status,
        ...(Object.keys(properties).length > 0 ? { properties } : {}),
      });
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: catalogQueries.all(session) });
      onDone();
    },
  });
  return (
    <form
      className="editor"
      aria-label={`Edit ${entry.event_type}`}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <div className="field">
        <label className="field__label" htmlFor={`${id}-desc`}>
          Description
        </label>
        <textarea id={`${id}-desc`} className="input" rows={2} maxLength={1000} value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <div className="field field--inline">
        <label className="field__label" htmlFor={`${id}-status`}>
          Status
        </label>
        <select id={`${id}-status`} className="input" value={status} onChange={(e) => setStatus(e.target.value as 'active' | 'deprecated')}>
          <option value="active">active</option>
          <option value="deprecated">deprecated</option>
        </select>
      </div>
      <fieldset>
        <legend className="field__label">Declared property types (strict mode rejects other types)</legend>
        <div className="declared-grid">
          {Object.entries(declared).map(([name, type]) => (
            <div key={name} className="field field--inline">
              <label className="mono" htmlFor={`${id}-p-${name}`}>
                {name}
              </label>
              <select id={`${id}-p-${name}`} className="input" value={type} onChange={(e) => setDeclared({ ...declared, [name]: e.target.value })}>
                <option value="">not declared</option>
                {DECLARABLE.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </div>
          ))}
        </div>
        <div className="field field--inline">
          <label className="field__label" htmlFor={`${id}-new`}>
            Declare another property
          </label>
          <input id={`${id}-new`} className="input" value={newProp} onChange={(e) => setNewProp(e.target.value)} />
          <button
            type="button"
            className="button"
            disabled={newProp.trim() === '' || newProp.trim() in declared}
            onClick={() => (setDeclared({ ...declared, [newProp.trim()]: 'string' }), setNewProp(''))}
          >
            Add
          </button>
        </div>
      </fieldset>
      <div className="editor__actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button button--ghost" onClick={onDone}>
          Cancel
        </button>
      </div>
      {save.isError && <ErrorState title="Could not save" error={save.error} />}
    </form>
  );
}

function ViolationsSection() {
  const session = useSession();
  const violations = useQuery(catalogQueries.violations(session));
  return (
    <section className="section" aria-labelledby="violations-heading">
      <div className="section__header">
        <h2 id="violations-heading">Rejected events</h2>
        <p className="muted">What strict mode (schema_violation) and the caps (catalog_limit) refused, by type and reason.</p>
      </div>
      {violations.isPending ? (
        <LoadingState label="Loading rejections…" />
      ) : violations.data === undefined ? (
        <ErrorState title="Could not load rejections" error={violations.error} onRetry={() => void violations.refetch()} />
      ) : violations.data.length === 0 ? (
        <EmptyState title="Nothing rejected" />
      ) : (
        <div className="panel panel--flush table-scroll">
          <table className="events-table">
            <caption className="visually-hidden">Rejected events by type and reason</caption>
            <thead>
              <tr>
                <th scope="col">Project</th>
                <th scope="col">Event type</th>
                <th scope="col">Reason</th>
                <th scope="col">Count</th>
                <th scope="col">Last seen</th>
                <th scope="col">Latest sample</th>
              </tr>
            </thead>
            <tbody>
              {violations.data.map((v) => (
                <tr key={`${v.project}/${v.event_type}/${v.reason}`}>
                  <td>{v.project}</td>
                  <td>{v.event_type}</td>
                  <td>
                    <code>{v.reason}</code>
                  </td>
                  <td className="num">{formatNumber(v.count)}</td>
                  <td>{when(v.last_seen)}</td>
                  <td>
                    {v.samples[0]?.message ?? '—'}
                    {v.samples.length > 1 && (
                      <details>
                        <summary>{v.samples.length} samples</summary>
                        <ul>
                          {v.samples.map((s, i) => (
                            <li key={i}>
                              {when(s.at)}: {s.message}
                            </li>
                          ))}
                        </ul>
                      </details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export default CatalogScreen;
