// The event catalog: per project its schema mode, event types with properties (observed/declared types, counts,
// first/last seen), editing descriptions and declared types (admin), and what strict mode and the caps rejected.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { catalogQueries } from '../api/queries';
import { useSetSchemaMode } from '../api/mutations';
import { api } from '../api/resources';
import {
  DECLARABLE_TYPES,
  SCHEMA_MODES,
  TYPE_STATUSES,
  type CatalogEntry,
  type CatalogProject,
  type DeclaredType,
} from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { Card } from '../components/Card';
import { DataTable } from '../components/DataTable';
import { AdminButton, Field, SelectField, TextAreaField } from '../components/form';
import { EmptyState, ErrorState, QueryView } from '../components/PanelStates';
import { formatDateTime, formatNumber } from '../lib/format';
import { hrefFor } from '../lib/router';
import { useCanEdit, useIsAdmin } from '../shell/scope';

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
      <QueryView
        query={catalog}
        loading="Loading the catalog…"
        errorTitle="Could not load the catalog"
        empty={
          <EmptyState title="No projects yet">
            <p>
              Create one under <a href={hrefFor('settings')}>Projects &amp; keys</a>.
            </p>
          </EmptyState>
        }
      >
        {(projects) => projects.map((project) => <ProjectCatalog key={project.project} project={project} />)}
      </QueryView>
      <ViolationsSection />
    </>
  );
}

function ProjectCatalog({ project }: { project: CatalogProject }) {
  const isAdmin = useIsAdmin();
  const canEdit = useCanEdit();
  const setMode = useSetSchemaMode();
  const headingId = `catalog-${project.project}`;
  return (
    <section className="section" aria-labelledby={headingId}>
      <div className="section__header section__header--row">
        <h2 id={headingId}>Project {project.project}</h2>
        {isAdmin === true ? (
          <SelectField
            inline
            label="Schema mode"
            value={project.schema_mode}
            options={SCHEMA_MODES}
            disabled={setMode.isPending}
            title="open: new types and properties are registered; strict: unknown types and wrongly typed properties are rejected"
            onChange={(schema_mode) => setMode.mutate({ slug: project.project, schema_mode })}
          />
        ) : (
          <span className="badge" title="An admin can change the schema mode">
            schema: {project.schema_mode}
          </span>
        )}
        {project.limits && (
          <span className="muted">
            caps: {formatNumber(project.limits.max_event_types)} types,{' '}
            {formatNumber(project.limits.max_properties_per_type)} properties per type
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
              <EventTypeCard project={project.project} entry={entry} canEdit={canEdit === true} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function EventTypeCard({ project, entry, canEdit }: { project: string; entry: CatalogEntry; canEdit: boolean }) {
  const [editing, setEditing] = useState(false);
  return (
    <Card
      title={entry.event_type}
      header={
        <>
          {entry.status === 'deprecated' && <span className="badge badge--warn">deprecated</span>}
          {entry.declared && <span className="badge">declared</span>}
          <span className="muted">
            {formatNumber(entry.count_24h)} in 24 h · first {when(entry.first_seen)} · last {when(entry.last_seen)}
          </span>
          <a href={hrefFor('explorer', { event_type: entry.event_type, project })}>events</a>
          <AdminButton allowed={canEdit} onClick={() => setEditing(!editing)} aria-expanded={editing}>
            {editing ? 'Close editor' : 'Edit'}
          </AdminButton>
        </>
      }
    >
      {!editing && <p className={entry.description ? '' : 'muted'}>{entry.description || 'No description.'}</p>}
      {editing ? (
        <EventTypeEditor project={project} entry={entry} onDone={() => setEditing(false)} />
      ) : entry.properties.length === 0 ? (
        <p className="muted">No properties seen.</p>
      ) : (
        <DataTable
          caption={`Properties of ${entry.event_type}`}
          columns={['Property', 'Observed types', 'Declared type', 'First seen', 'Last seen']}
        >
          {entry.properties.map((p) => (
            <tr key={p.name}>
              <td className="mono">{p.name}</td>
              <td>{p.observed_types.join(', ') || '—'}</td>
              <td>{p.declared_type ?? <span className="muted">—</span>}</td>
              <td>{when(p.first_seen)}</td>
              <td>{when(p.last_seen)}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </Card>
  );
}

function EventTypeEditor({ project, entry, onDone }: { project: string; entry: CatalogEntry; onDone: () => void }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const [description, setDescription] = useState(entry.description ?? '');
  const [status, setStatus] = useState(entry.status);
  const [declared, setDeclared] = useState<Record<string, DeclaredType | ''>>(() =>
    Object.fromEntries(entry.properties.map((p) => [p.name, p.declared_type ?? ''])),
  );
  const [newProp, setNewProp] = useState('');
  const save = useMutation({
    mutationFn: () => {
      // Object.fromEntries: a property may be named `__proto__`, which plain assignment would drop.
      const properties: Record<string, DeclaredType | null> = Object.fromEntries(
        Object.entries(declared)
          .filter(([name, type]) => type !== (entry.properties.find((p) => p.name === name)?.declared_type ?? ''))
          .map(([name, type]) => [name, type === '' ? null : type]),
      );
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
      <TextAreaField label="Description" rows={2} maxLength={1000} value={description} onChange={setDescription} />
      <SelectField inline label="Status" value={status} options={TYPE_STATUSES} onChange={setStatus} />
      <fieldset>
        <legend className="field__label">Declared property types (strict mode rejects other types)</legend>
        <div className="declared-grid">
          {Object.entries(declared).map(([name, type]) => (
            <SelectField
              key={name}
              inline
              labelClassName="mono"
              label={name}
              value={type}
              options={DECLARABLE_TYPES}
              emptyLabel="not declared"
              onChange={(t) => setDeclared({ ...declared, [name]: t })}
            />
          ))}
        </div>
        <Field inline label="Declare another property">
          {(id) => (
            <>
              <input id={id} className="input" value={newProp} onChange={(e) => setNewProp(e.target.value)} />
              <button
                type="button"
                className="button"
                disabled={newProp.trim() === '' || newProp.trim() in declared}
                onClick={() => (setDeclared({ ...declared, [newProp.trim()]: 'string' }), setNewProp(''))}
              >
                Add
              </button>
            </>
          )}
        </Field>
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
        <p className="muted">
          What strict mode (schema_violation) and the caps (catalog_limit) refused, by type and reason.
        </p>
      </div>
      <QueryView
        query={violations}
        loading="Loading rejections…"
        errorTitle="Could not load rejections"
        empty={<EmptyState title="Nothing rejected" />}
      >
        {(list) => (
          <DataTable
            flush
            caption="Rejected events by type and reason"
            columns={['Project', 'Event type', 'Reason', 'Count', 'Last seen', 'Latest sample']}
          >
            {list.map((v) => (
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
          </DataTable>
        )}
      </QueryView>
    </section>
  );
}

export default CatalogScreen;
