// Projects (list, create, schema mode) and API keys (list, create — shown once —, revoke). Writes need an admin key.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { adminQueries, catalogQueries } from '../api/queries';
import { api, type CreatedApiKey } from '../api/resources';
import { useSession } from '../auth/AuthProvider';
import { EmptyState, ErrorState, LoadingState } from '../components/PanelStates';
import { formatDateTime } from '../lib/format';
import { READ_ONLY_HINT, useIsAdmin } from '../shell/scope';

export function SettingsScreen() {
  const isAdmin = useIsAdmin();
  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Projects &amp; API keys</h1>
        {isAdmin === false && <p className="notice">You are signed in with a read key: you can look, but changes need an admin key.</p>}
      </div>
      <ProjectsSection isAdmin={isAdmin === true} />
      <ApiKeysSection isAdmin={isAdmin} />
    </>
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
  const invalidate = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: adminQueries.projects(session).queryKey }), queryClient.invalidateQueries({ queryKey: catalogQueries.all(session) })]);
  const create = useMutation({
    mutationFn: () => api.createProject(session.client, { slug: slug.trim(), name: name.trim() || undefined, schema_mode: mode }),
    onSuccess: async () => {
      setSlug('');
      setName('');
      await invalidate();
    },
  });
  const update = useMutation({
    mutationFn: (v: { slug: string; schema_mode: string }) => api.updateProject(session.client, v.slug, { schema_mode: v.schema_mode }),
    onSuccess: invalidate,
  });

  return (
    <section className="section" aria-labelledby="projects-heading">
      <div className="section__header">
        <h2 id="projects-heading">Projects</h2>
      </div>
      {projects.isPending ? (
        <LoadingState label="Loading projects…" />
      ) : projects.data === undefined ? (
        <ErrorState title="Could not load projects" error={projects.error} onRetry={() => void projects.refetch()} />
      ) : projects.data.length === 0 ? (
        <EmptyState title="No projects yet" />
      ) : (
        <div className="panel panel--flush table-scroll">
          <table className="events-table">
            <caption className="visually-hidden">Projects</caption>
            <thead>
              <tr>
                <th scope="col">Slug</th>
                <th scope="col">Name</th>
                <th scope="col">Schema mode</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {projects.data.map((p) => (
                <tr key={p.slug}>
                  <td className="mono">{p.slug}</td>
                  <td>{p.name}</td>
                  <td>
                    <label className="visually-hidden" htmlFor={`${id}-mode-${p.slug}`}>
                      Schema mode of {p.slug}
                    </label>
                    <select
                      id={`${id}-mode-${p.slug}`}
                      className="input"
                      value={p.schema_mode}
                      disabled={!isAdmin || update.isPending}
                      title={isAdmin ? undefined : READ_ONLY_HINT}
                      onChange={(e) => update.mutate({ slug: p.slug, schema_mode: e.target.value })}
                    >
                      <option value="open">open</option>
                      <option value="strict">strict</option>
                    </select>
                  </td>
                  <td>{formatDateTime(p.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
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
          <div className="field">
            <label className="field__label" htmlFor={`${id}-slug`}>
              Slug
            </label>
            <input id={`${id}-slug`} className="input" value={slug} required pattern="[a-z0-9][a-z0-9-]{0,62}" onChange={(e) => setSlug(e.target.value)} />
          </div>
          <div className="field">
            <label className="field__label" htmlFor={`${id}-name`}>
              Name (optional)
            </label>
            <input id={`${id}-name`} className="input" value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label className="field__label" htmlFor={`${id}-newmode`}>
              Schema mode
            </label>
            <select id={`${id}-newmode`} className="input" value={mode} onChange={(e) => setMode(e.target.value as 'open' | 'strict')}>
              <option value="open">open</option>
              <option value="strict">strict</option>
            </select>
          </div>
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
  const projects = useQuery(adminQueries.projects(session));
  const [scopes, setScopes] = useState<string[]>(['read']);
  const [project, setProject] = useState('');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const id = useId();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: adminQueries.apiKeys(session).queryKey });
  const create = useMutation({
    mutationFn: () => api.createApiKey(session.client, { scopes, project: project || undefined, name: name.trim() || undefined }),
    onSuccess: async (key) => {
      setCreated(key);
      setName('');
      await invalidate();
    },
  });
  const revoke = useMutation({ mutationFn: (keyId: string) => api.revokeApiKey(session.client, keyId), onSuccess: invalidate });

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
            <div className="notice notice--secret" role="status">
              <p>
                <strong>New key — copy it now, it is not shown again:</strong>
              </p>
              <pre className="code-block" aria-label="New API key">
                <code>{created.key}</code>
              </pre>
              <p className="muted">
                scopes {created.scopes.join(', ')}
                {created.project ? ` · project ${created.project}` : ''}
              </p>
              <button type="button" className="button" onClick={() => setCreated(null)}>
                I have copied it
              </button>
            </div>
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
              {['ingest', 'read', 'admin'].map((s) => (
                <label key={s} className="checkbox">
                  <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} /> {s}
                </label>
              ))}
            </fieldset>
            <div className="field">
              <label className="field__label" htmlFor={`${id}-project`}>
                Bound to project
              </label>
              <select id={`${id}-project`} className="input" value={project} onChange={(e) => setProject(e.target.value)}>
                <option value="">All projects</option>
                {(projects.data ?? []).map((p) => (
                  <option key={p.slug} value={p.slug}>
                    {p.slug}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label className="field__label" htmlFor={`${id}-name`}>
                Name (optional)
              </label>
              <input id={`${id}-name`} className="input" value={name} onChange={(e) => setName(e.target.value)} />
            </div>
            <button type="submit" className="button button--primary" disabled={create.isPending || scopes.length === 0}>
              {create.isPending ? 'Creating…' : 'Create key'}
            </button>
            {create.isError && <ErrorState title="Could not create the key" error={create.error} />}
          </form>
          {keys.isPending ? (
            <LoadingState label="Loading keys…" />
          ) : keys.data === undefined ? (
            <ErrorState title="Could not load keys" error={keys.error} onRetry={() => void keys.refetch()} />
          ) : (
            <div className="panel panel--flush table-scroll">
              <table className="events-table">
                <caption className="visually-hidden">API keys</caption>
                <thead>
                  <tr>
                    <th scope="col">Prefix</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Project</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {keys.data.map((k) => (
                    <tr key={k.id}>
                      <td className="mono">{k.prefix}…</td>
                      <td>{k.scopes.join(', ')}</td>
                      <td>{k.project ?? <span className="muted">all</span>}</td>
                      <td>{formatDateTime(k.created_at)}</td>
                      <td>{k.last_used_at ? formatDateTime(k.last_used_at) : <span className="muted">never</span>}</td>
                      <td>
                        {k.revoked_at ? (
                          <span className="muted">revoked {formatDateTime(k.revoked_at)}</span>
                        ) : (
                          <button
                            type="button"
                            className="button button--danger"
                            disabled={revoke.isPending}
                            aria-label={`Revoke key ${k.prefix}`}
                            onClick={() => {
                              if (window.confirm(`Revoke key ${k.prefix}…? Clients using it stop working within seconds.`)) revoke.mutate(k.id);
                            }}
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {revoke.isError && <ErrorState title="Could not revoke the key" error={revoke.error} />}
        </>
      )}
    </section>
  );
}

export default SettingsScreen;
