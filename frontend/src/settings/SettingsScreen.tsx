// Projects (list, create, schema mode) and API keys (list, create — shown once —, revoke). Writes need an admin key.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { adminQueries, tenantQueries } from '../api/queries';
import { invalidateProjects, useSetSchemaMode } from '../api/mutations';
import { api } from '../api/resources';
import { SCHEMA_MODES, SCOPES, type CreatedApiKey, type Scope } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { DataTable } from '../components/DataTable';
import { OnceNotice, ProjectSelectField, Select, SelectField, Suggestions, TextField } from '../components/form';
import { isValidZone } from '../lib/timezone';
import { useTimeZone } from '../shell/TimeZoneContext';
import { EmptyState, ErrorState, LoadingState, QueryView } from '../components/PanelStates';
import { formatDateTime } from '../lib/format';
import { READ_ONLY_HINT, useIsAdmin } from '../shell/scope';
import { isCurrentKey } from './keys';

export function SettingsScreen() {
  const isAdmin = useIsAdmin();
  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Projects &amp; API keys</h1>
        {isAdmin === false && (
          <p className="notice">You can look here; changes need the admin role (or an admin key).</p>
        )}
      </div>
      <TimeZoneSection isAdmin={isAdmin === true} />
      <ProjectsSection isAdmin={isAdmin === true} />
      <ApiKeysSection isAdmin={isAdmin} />
    </>
  );
}

/** Every IANA zone this browser knows, for suggestions (older browsers: none, any valid zone can be typed). */
const ZONES: readonly string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];

/** The tenant's time zone (PATCH /v1/tenant, admin): hour/day buckets and every time on screen use it. */
function TimeZoneSection({ isAdmin }: { isAdmin: boolean }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const tz = useTimeZone();
  const [zone, setZone] = useState(tz.zone);
  const listId = useId();
  const save = useMutation({
    mutationFn: () => api.updateTenant(session.client, { timezone: zone.trim() }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tenantQueries.tenant(session).queryKey }),
  });
  const valid = isValidZone(zone.trim());
  return (
    <section className="section" aria-labelledby="zone-heading">
      <div className="section__header">
        <h2 id="zone-heading">Time zone</h2>
        <p className="muted">
          {tz.source === 'tenant'
            ? `Every time on screen, and hour and day buckets, are in ${tz.zone}.`
            : `Times are shown in UTC: ${tz.reason ?? 'the tenant time zone is unknown'}.`}
        </p>
      </div>
      {isAdmin && (
        <form
          className="panel inline-form"
          aria-label="Change the time zone"
          onSubmit={(e) => {
            e.preventDefault();
            if (valid) save.mutate();
          }}
        >
          <Suggestions id={listId} values={ZONES} />
          <TextField
            label="IANA time zone"
            list={listId}
            value={zone}
            aria-invalid={!valid}
            hint={valid ? undefined : 'A zone such as Europe/Berlin or America/New_York.'}
            onChange={setZone}
          />
          <button type="submit" className="button button--primary" disabled={!valid || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save time zone'}
          </button>
          {save.isError && <ErrorState title="Could not change the time zone" error={save.error} />}
        </form>
      )}
    </section>
  );
}

function ProjectsSection({ isAdmin }: { isAdmin: boolean }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const projects = useQuery(adminQueries.projects(session));
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [mode, setMode] = useState<'open' | 'strict'>('open');
  const id = useId();
  const create = useMutation({
    mutationFn: () =>
      api.createProject(session.client, { slug: slug.trim(), name: name.trim() || undefined, schema_mode: mode }),
    onSuccess: async () => {
      setSlug('');
      setName('');
      await invalidateProjects(queryClient, session);
    },
  });
  const update = useSetSchemaMode();

  return (
    <section className="section" aria-labelledby="projects-heading">
      <div className="section__header">
        <h2 id="projects-heading">Projects</h2>
      </div>
      <QueryView
        query={projects}
        loading="Loading projects…"
        errorTitle="Could not load projects"
        empty={<EmptyState title="No projects yet" />}
      >
        {(list) => (
          <DataTable flush caption="Projects" columns={['Slug', 'Name', 'Schema mode', 'Created']}>
            {list.map((p) => (
              <tr key={p.slug}>
                <td className="mono">{p.slug}</td>
                <td>{p.name}</td>
                <td>
                  <label className="visually-hidden" htmlFor={`${id}-mode-${p.slug}`}>
                    Schema mode of {p.slug}
                  </label>
                  <Select
                    id={`${id}-mode-${p.slug}`}
                    value={p.schema_mode}
                    options={SCHEMA_MODES}
                    disabled={!isAdmin || update.isPending}
                    title={isAdmin ? undefined : READ_ONLY_HINT}
                    onChange={(schema_mode) => update.mutate({ slug: p.slug, schema_mode })}
                  />
                </td>
                <td>{formatDateTime(p.created_at)}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryView>
      {update.isError && <ErrorState title="Could not change the project" error={update.error} />}
      {isAdmin && (
        <form
          className="panel inline-form"
          aria-label="Create a project"
          onSubmit={(e) => {
            e.preventDefault();
            if (slug.trim() !== '') create.mutate();
          }}
        >
          <h3 className="panel__title">New project</h3>
          <TextField label="Slug" value={slug} required pattern="[a-z0-9][a-z0-9-]{0,62}" onChange={setSlug} />
          <TextField label="Name (optional)" value={name} onChange={setName} />
          <SelectField label="Schema mode" value={mode} options={SCHEMA_MODES} onChange={setMode} />
          <button type="submit" className="button button--primary" disabled={create.isPending || slug.trim() === ''}>
            {create.isPending ? 'Creating…' : 'Create project'}
          </button>
          {create.isError && <ErrorState title="Could not create the project" error={create.error} />}
        </form>
      )}
    </section>
  );
}

function ApiKeysSection({ isAdmin }: { isAdmin: boolean | undefined }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const keys = useQuery({ ...adminQueries.apiKeys(session), enabled: isAdmin === true });
  const [scopes, setScopes] = useState<Scope[]>(['read']);
  const [project, setProject] = useState('');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: adminQueries.apiKeys(session).queryKey });
  const create = useMutation({
    mutationFn: () =>
      api.createApiKey(session.client, { scopes, project: project || undefined, name: name.trim() || undefined }),
    onSuccess: async (key) => {
      setCreated(key);
      setName('');
      await invalidate();
    },
  });
  const revoke = useMutation({
    mutationFn: (keyId: string) => api.revokeApiKey(session.client, keyId),
    onSuccess: invalidate,
  });

  return (
    <section className="section" aria-labelledby="keys-heading">
      <div className="section__header">
        <h2 id="keys-heading">API keys</h2>
      </div>
      {isAdmin === undefined ? (
        <LoadingState label="Checking this key's scope…" />
      ) : !isAdmin ? (
        <EmptyState title="Key management needs an admin key" />
      ) : (
        <>
          {created !== null && (
            <OnceNotice title="New key — copy it now, it is not shown again:" onDismiss={() => setCreated(null)}>
              <pre className="code-block" aria-label="New API key">
                <code>{created.key}</code>
              </pre>
              <p className="muted">
                scopes {created.scopes.join(', ')}
                {created.project ? ` · project ${created.project}` : ''}
              </p>
            </OnceNotice>
          )}
          <form
            className="panel inline-form"
            aria-label="Create an API key"
            onSubmit={(e) => {
              e.preventDefault();
              if (scopes.length > 0) create.mutate();
            }}
          >
            <h3 className="panel__title">New key</h3>
            <fieldset className="field">
              <legend className="field__label">Scopes</legend>
              {SCOPES.map((s) => (
                <label key={s} className="checkbox">
                  <input
                    type="checkbox"
                    checked={scopes.includes(s)}
                    onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
                  />{' '}
                  {s}
                </label>
              ))}
            </fieldset>
            <ProjectSelectField label="Bound to project" value={project} onChange={setProject} />
            <TextField label="Name (optional)" value={name} onChange={setName} />
            <button type="submit" className="button button--primary" disabled={create.isPending || scopes.length === 0}>
              {create.isPending ? 'Creating…' : 'Create key'}
            </button>
            {create.isError && <ErrorState title="Could not create the key" error={create.error} />}
          </form>
          <QueryView query={keys} loading="Loading keys…" errorTitle="Could not load keys">
            {(list) => (
              <DataTable
                flush
                caption="API keys"
                columns={['Name', 'Prefix', 'Scopes', 'Project', 'Created', 'Last used', 'Status']}
              >
                {list.map((k) => (
                  <tr key={k.id} className={isCurrentKey(k, session.apiKey) ? 'current-key' : undefined}>
                    <td>
                      {k.name ?? <span className="muted">unnamed</span>}
                      {isCurrentKey(k, session.apiKey) && (
                        <>
                          {' '}
                          <span className="badge badge--admin" title="The key this browser tab is signed in with">
                            current key
                          </span>
                        </>
                      )}
                    </td>
                    <td className="mono">{k.prefix}…</td>
                    <td>{k.scopes.join(', ')}</td>
                    <td>{k.project ?? <span className="muted">all</span>}</td>
                    <td>{formatDateTime(k.created_at)}</td>
                    <td>{k.last_used_at ? formatDateTime(k.last_used_at) : <span className="muted">never</span>}</td>
                    <td>
                      {k.revoked_at ? (
                        <span className="muted">revoked {formatDateTime(k.revoked_at)}</span>
                      ) : isCurrentKey(k, session.apiKey) ? (
                        // Revoking it would sign this tab out mid-action; use another admin key for that.
                        <span className="muted">active · in use here</span>
                      ) : (
                        <button
                          type="button"
                          className="button button--danger"
                          disabled={revoke.isPending}
                          aria-label={`Revoke key ${k.prefix}`}
                          onClick={() => {
                            if (
                              window.confirm(`Revoke key ${k.prefix}…? Clients using it stop working within seconds.`)
                            )
                              revoke.mutate(k.id);
                          }}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
          </QueryView>
          {revoke.isError && <ErrorState title="Could not revoke the key" error={revoke.error} />}
        </>
      )}
    </section>
  );
}

export default SettingsScreen;
