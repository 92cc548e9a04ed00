// People (docs/api.md#people): search by id or trait, then a person's merged ids, first/last seen, event count,
// traits and merged timeline; an admin may erase the person (docs/api.md#erasure-and-access) after typing its id.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { analyticsApi } from '../api/analytics';
import { adminQueries, peopleQueries } from '../api/queries';
import type { ErasureJob, Person } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { DataTable } from '../components/DataTable';
import { ProjectSelectField, TextField } from '../components/form';
import { LoadMore } from '../components/Paging';
import { EmptyState, ErrorState, LoadingState, QueryView } from '../components/PanelStates';
import { EventTable } from '../explorer/EventTable';
import { distinctEvents } from '../explorer/columns';
import { formatDateTime, formatNumber } from '../lib/format';
import { hrefFor, navigate, personHref, useRoute } from '../lib/router';
import { zoneLabel } from '../lib/timezone';
import { useNow } from '../lib/useNow';
import { useIsAdmin } from '../shell/scope';
import { useTimeZone } from '../shell/TimeZoneContext';
import { confirmsErasure, erasurePollInterval, erasureStatusText, isFinished, traitRows } from './people';

export function PeopleScreen() {
  const route = useRoute();
  const id = route.params.get('id') ?? '';
  const q = route.params.get('q') ?? '';
  // People are per project: the route's, else the API's choice (the key's project or the tenant's only one).
  const project = route.params.get('project') || null;
  const { zone } = useTimeZone();
  const now = useNow(60_000);
  return (
    <>
      <div className="section__header">
        <h1 className="page-title">People</h1>
        <p className="muted">A person is every id merged by identify and alias. Times are in {zoneLabel(zone, now)}.</p>
      </div>
      <SearchForm key={`${q}\n${project ?? ''}`} initial={q} project={project} />
      {id !== '' ? (
        <PersonProfile key={`${id}\n${project ?? ''}`} id={id} project={project} />
      ) : q !== '' ? (
        <SearchResults q={q} project={project} />
      ) : null}
    </>
  );
}

function SearchForm({ initial, project: initialProject }: { initial: string; project: string | null }) {
  const session = useSession();
  const projects = useQuery(adminQueries.projects(session));
  const [text, setText] = useState(initial);
  const [chosen, setChosen] = useState(initialProject ?? '');
  // One project at a time: the first is the default.
  const project = chosen || (projects.data?.[0]?.slug ?? '');
  function submit(e: FormEvent) {
    e.preventDefault();
    navigate(hrefFor('people', { q: text.trim(), project }));
  }
  return (
    <form className="panel filters" role="search" aria-label="Find a person" onSubmit={submit}>
      <div className="inline-form">
        <ProjectSelectField value={project} onChange={setChosen} emptyLabel="The key’s project" />
        <TextField
          label="Search people"
          value={text}
          onChange={setText}
          placeholder="user id, anonymous id, e-mail…"
          hint="An id (any of a person's ids) or a trait value"
        />
        <button type="submit" className="button button--primary" disabled={text.trim() === ''}>
          Search
        </button>
        <button
          type="button"
          className="button"
          disabled={text.trim() === ''}
          onClick={() => navigate(personHref(text.trim(), project))}
        >
          Open id
        </button>
      </div>
    </form>
  );
}

function SearchResults({ q, project }: { q: string; project: string | null }) {
  const session = useSession();
  const query = useInfiniteQuery(peopleQueries.search(session, q, project));
  const people = query.data?.pages.flatMap((p) => p.users) ?? [];
  return (
    <section className="section" aria-label="Search results">
      <QueryView
        query={query}
        loading="Searching…"
        errorTitle="Could not search people"
        isEmpty={() => people.length === 0}
        empty={<EmptyState title={`Nobody matches “${q}”`} />}
      >
        {() => (
          <div className="panel panel--flush">
            <DataTable
              caption={`People matching ${q}`}
              columns={['Person', 'Ids', 'First seen', 'Last seen', 'Events']}
            >
              {people.map((p) => (
                <tr key={p.person_id}>
                  <td>
                    <a href={personHref(p.person_id, query.data?.pages[0]?.project)}>{p.person_id}</a>
                  </td>
                  <td>{p.ids.join(', ')}</td>
                  <td>{p.first_seen ? formatDateTime(p.first_seen) : '—'}</td>
                  <td>{p.last_seen ? formatDateTime(p.last_seen) : '—'}</td>
                  <td className="num">{formatNumber(p.event_count)}</td>
                </tr>
              ))}
            </DataTable>
            <div className="panel__footer">
              <span className="muted" role="status">
                Showing {formatNumber(people.length)} {people.length === 1 ? 'person' : 'people'}
              </span>
              <LoadMore query={query} />
            </div>
          </div>
        )}
      </QueryView>
    </section>
  );
}

function PersonProfile({ id, project }: { id: string; project: string | null }) {
  const session = useSession();
  const query = useQuery(peopleQueries.person(session, id, project));
  const [job, setJob] = useState<ErasureJob | null>(null);
  const [erased, setErased] = useState(false);
  return (
    <section className="section" aria-label="Person">
      {job !== null && <ErasureProgress initial={job} onDone={() => setErased(true)} />}
      {erased ? (
        <EmptyState title="This person has been erased">
          <p>Their events, ids and traits are gone, and every count has been recomputed without them.</p>
        </EmptyState>
      ) : (
        <QueryView query={query} loading="Loading the person…" errorTitle="Could not load this person">
          {(person) => (
            <>
              <PersonFacts person={person} asked={id} onErasing={setJob} erasing={job !== null} />
              <Timeline id={person.person_id} project={person.project} />
            </>
          )}
        </QueryView>
      )}
    </section>
  );
}

function PersonFacts({
  person,
  asked,
  onErasing,
  erasing,
}: {
  person: Person;
  asked: string;
  onErasing: (job: ErasureJob) => void;
  erasing: boolean;
}) {
  const isAdmin = useIsAdmin();
  const traits = traitRows(person.traits);
  return (
    <div className="panel person">
      <div className="panel__header">
        <h2 className="panel__title">
          Person <span className="mono">{person.person_id}</span>
        </h2>
        <span className="muted">project {person.project}</span>
        {/* Erasure is admin only: not shown at all to a read key. */}
        {isAdmin === true && !erasing && <EraseButton person={person} onStarted={onErasing} />}
      </div>
      {asked !== person.person_id && (
        <p className="panel__note">
          <span className="mono">{asked}</span> is one of this person’s ids.
        </p>
      )}
      <dl className="person__facts">
        <div>
          <dt>First seen</dt>
          <dd data-testid="person-first-seen">{person.first_seen ? formatDateTime(person.first_seen) : '—'}</dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd data-testid="person-last-seen">{person.last_seen ? formatDateTime(person.last_seen) : '—'}</dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd data-testid="person-event-count">{formatNumber(person.event_count)}</dd>
        </div>
        <div>
          <dt>Ids</dt>
          <dd>{person.ids.length}</dd>
        </div>
      </dl>
      <h3 className="person__subtitle">Merged ids</h3>
      <DataTable caption="The person's ids" columns={['Id', 'Kind', 'First seen', 'Last seen', 'Events']}>
        {person.ids.map((i) => (
          <tr key={i.id}>
            <td className="mono">{i.id}</td>
            <td>{i.identified ? 'identified' : 'anonymous'}</td>
            <td>{i.first_seen ? formatDateTime(i.first_seen) : '—'}</td>
            <td>{i.last_seen ? formatDateTime(i.last_seen) : '—'}</td>
            <td className="num">{i.event_count === undefined ? '—' : formatNumber(i.event_count)}</td>
          </tr>
        ))}
      </DataTable>
      <h3 className="person__subtitle">Traits</h3>
      {traits.length === 0 ? (
        <p className="muted">No traits (they come from identify calls).</p>
      ) : (
        <DataTable caption="The person's latest traits" columns={['Trait', 'Value']}>
          {traits.map(([name, text]) => (
            <tr key={name}>
              <td className="mono">{name}</td>
              <td>{text}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </div>
  );
}

function Timeline({ id, project }: { id: string; project: string }) {
  const session = useSession();
  const query = useInfiniteQuery(peopleQueries.timeline(session, id, project));
  const events = useMemo(() => distinctEvents(query.data?.pages ?? []), [query.data]);
  return (
    <section className="section" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline (every id, newest first)</h2>
      <QueryView
        query={query}
        loading="Loading the timeline…"
        errorTitle="Could not load the timeline"
        isEmpty={() => events.length === 0}
        empty={<EmptyState title="No events" />}
      >
        {() => (
          <div className="panel panel--flush">
            <EventTable events={events} caption="The person's events, newest first" />
            <div className="panel__footer">
              <span className="muted" role="status">
                Showing {formatNumber(events.length)} event{events.length === 1 ? '' : 's'}
              </span>
              <LoadMore query={query} done="No older events." />
            </div>
          </div>
        )}
      </QueryView>
    </section>
  );
}

function EraseButton({ person, onStarted }: { person: Person; onStarted: (job: ErasureJob) => void }) {
  const session = useSession();
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const erase = useMutation({
    mutationFn: () => analyticsApi.erasePerson(session.client, person.person_id, person.project),
    onSuccess: (job) => (setOpen(false), onStarted(job)),
  });
  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);
  const ok = confirmsErasure(typed, person.person_id);
  return (
    <>
      <button
        type="button"
        className="button button--danger"
        onClick={() => (setTyped(''), erase.reset(), setOpen(true))}
      >
        Erase this person
      </button>
      <dialog
        ref={dialog}
        className="dialog"
        aria-labelledby="erase-title"
        onClose={() => setOpen(false)}
        onCancel={() => setOpen(false)}
      >
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            if (ok) erase.mutate();
          }}
        >
          <h2 id="erase-title">Erase this person?</h2>
          <p>
            Every event of every id of <span className="mono">{person.person_id}</span> (
            {formatNumber(person.event_count)} events, {person.ids.length} id{person.ids.length === 1 ? '' : 's'}) and
            the profile are deleted, and every count is recomputed without them. This cannot be undone.
          </p>
          <TextField
            label={`Type ${person.person_id} to confirm`}
            value={typed}
            onChange={setTyped}
            autoComplete="off"
            spellCheck={false}
          />
          {erase.isError && <ErrorState title="Could not start the erasure" error={erase.error} />}
          <div className="filters__actions">
            <button type="submit" className="button button--danger" disabled={!ok || erase.isPending}>
              {erase.isPending ? 'Starting…' : 'Erase person'}
            </button>
            <button type="button" className="button button--ghost" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

function ErasureProgress({ initial, onDone }: { initial: ErasureJob; onDone: () => void }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const query = useQuery({
    ...peopleQueries.erasure(session, initial.id),
    initialData: initial,
    refetchInterval: (q) => erasurePollInterval(q.state.data),
  });
  const job = query.data;
  const finished = isFinished(job.status);
  // Once done, the person's pages are gone and every other cached answer may have counted them: ask again.
  const handled = useRef(false);
  useEffect(() => {
    if (job.status !== 'done' || handled.current) return;
    handled.current = true;
    queryClient.removeQueries({ queryKey: peopleQueries.all(session) });
    void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'erasures' });
    onDone();
  }, [job.status, queryClient, session, onDone]);
  return (
    <div
      className={
        job.status === 'failed' ? 'notice notice--error' : job.status === 'done' ? 'notice notice--ok' : 'notice'
      }
      role="status"
      aria-label="Erasure"
      data-status={job.status}
    >
      <p>
        <strong>Erasure {job.status}</strong> · job <span className="mono">{job.id}</span> · requested{' '}
        {formatDateTime(job.requested_at)}
        {job.finished_at && <> · finished {formatDateTime(job.finished_at)}</>}
      </p>
      <p data-testid="erasure-status">{erasureStatusText(job)}</p>
      {!finished && <LoadingState label="Checking every second…" />}
      {query.isError && <ErrorState title="Could not read the job" error={query.error} />}
    </div>
  );
}

export default PeopleScreen;
