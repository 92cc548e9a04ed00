// Funnels, retention, people and erasure (docs/api.md#funnels, #retention, #people, #erasure-and-access): one typed
// function per endpoint, with a light shape check of the fields the screens rely on.
import type { ApiClient } from './client';
import { parseStoredEvent } from './events';
import { expectArray, expectNumber, expectObject, expectString, optionalString } from './shape';
import type {
  ErasureJob,
  FunnelAnswer,
  FunnelPersonsBody,
  FunnelPersonsPage,
  FunnelQueryBody,
  Person,
  PersonEventsPage,
  PersonSearchPage,
  PersonSummary,
  RetentionAnswer,
  RetentionQueryBody,
} from './types';

function parseSteps(value: unknown, what: string) {
  return expectArray(value, what).map((s, i) => {
    const step = expectObject(s, `${what}[${i}]`);
    expectNumber(step.step, `${what}[${i}].step`);
    expectNumber(step.count, `${what}[${i}].count`);
    expectNumber(step.drop_off, `${what}[${i}].drop_off`);
    return step as unknown as FunnelAnswer['steps'][number];
  });
}

export function parseFunnelAnswer(body: unknown): FunnelAnswer {
  const obj = expectObject(body, 'response');
  const steps = parseSteps(obj.steps, 'steps');
  const values =
    obj.breakdown_values === undefined
      ? undefined
      : expectArray(obj.breakdown_values, 'breakdown_values').map((b, i) => {
          const value = expectObject(b, `breakdown_values[${i}]`);
          return {
            value: expectString(value.value, `breakdown_values[${i}].value`),
            steps: parseSteps(value.steps, `breakdown_values[${i}].steps`),
          };
        });
  return {
    ...(obj as unknown as FunnelAnswer),
    from: expectString(obj.from, 'from'),
    to: expectString(obj.to, 'to'),
    steps,
    ...(values ? { breakdown_values: values } : {}),
  };
}

export function parseFunnelPersons(body: unknown): FunnelPersonsPage {
  const obj = expectObject(body, 'response');
  const persons = expectArray(obj.persons, 'persons').map((p, i) => {
    const person = expectObject(p, `persons[${i}]`);
    expectString(person.person_id, `persons[${i}].person_id`);
    return person as unknown as FunnelPersonsPage['persons'][number];
  });
  return { ...(obj as unknown as FunnelPersonsPage), persons, next_cursor: optionalString(obj.next_cursor, 'cursor') };
}

function parseCohorts(value: unknown, what: string): RetentionAnswer['cohorts'] {
  return expectArray(value, what).map((c, i) => {
    const cohort = expectObject(c, `${what}[${i}]`);
    return {
      start: expectString(cohort.start, `${what}[${i}].start`),
      size: expectNumber(cohort.size, `${what}[${i}].size`),
      returned: expectArray(cohort.returned, `${what}[${i}].returned`).map((n, k) =>
        expectNumber(n, `${what}[${i}].returned[${k}]`),
      ),
    };
  });
}

export function parseRetention(body: unknown): RetentionAnswer {
  const obj = expectObject(body, 'response');
  return {
    ...(obj as unknown as RetentionAnswer),
    timezone: expectString(obj.timezone, 'timezone'),
    cohorts: parseCohorts(obj.cohorts, 'cohorts'),
    ...(obj.breakdown !== undefined && obj.breakdown !== null
      ? {
          breakdown: expectArray(obj.breakdown, 'breakdown').map((b, i) => {
            const value = expectObject(b, `breakdown[${i}]`);
            return {
              value: expectString(value.value, `breakdown[${i}].value`),
              cohorts: parseCohorts(value.cohorts, `breakdown[${i}].cohorts`),
            };
          }),
        }
      : {}),
  };
}

export function parsePerson(body: unknown): Person {
  const obj = expectObject(body, 'person');
  const ids = expectArray(obj.ids, 'person.ids').map((x, i) => {
    const id = expectObject(x, `person.ids[${i}]`);
    expectString(id.id, `person.ids[${i}].id`);
    return id as unknown as Person['ids'][number];
  });
  return {
    ...(obj as unknown as Person),
    person_id: expectString(obj.person_id, 'person.person_id'),
    ids,
    traits:
      obj.traits === undefined || obj.traits === null
        ? {}
        : (expectObject(obj.traits, 'person.traits') as Person['traits']),
  };
}

export function parsePersonSearch(body: unknown): PersonSearchPage {
  const obj = expectObject(body, 'response');
  return {
    project: expectString(obj.project, 'project'),
    users: expectArray(obj.users, 'users').map((u, i) => {
      const user = expectObject(u, `users[${i}]`);
      expectString(user.person_id, `users[${i}].person_id`);
      return {
        ...(user as unknown as PersonSummary),
        ids: expectArray(user.ids, `users[${i}].ids`).map((id, j) => expectString(id, `users[${i}].ids[${j}]`)),
      };
    }),
    next_cursor: optionalString(obj.next_cursor, 'next_cursor'),
  };
}

/** The timeline's events carry no project (the page names it): each gets the page's, like an explorer row. */
export function parsePersonEvents(body: unknown): PersonEventsPage {
  const obj = expectObject(body, 'response');
  const project = expectString(obj.project, 'project');
  return {
    project,
    person_id: expectString(obj.person_id, 'person_id'),
    events: expectArray(obj.events, 'events').map((e, i) =>
      parseStoredEvent({ project, ...expectObject(e, `events[${i}]`) }, i),
    ),
    next_cursor: optionalString(obj.next_cursor, 'next_cursor'),
  };
}

export function parseErasureJob(body: unknown): ErasureJob {
  const obj = expectObject(body, 'job');
  expectString(obj.id, 'id');
  expectString(obj.status, 'status');
  return obj as unknown as ErasureJob;
}

const userPath = (id: string) => `/v1/users/${encodeURIComponent(id)}`;

export const analyticsApi = {
  funnel: (c: ApiClient, body: FunnelQueryBody, signal?: AbortSignal) =>
    c.send('POST', '/v1/funnels/query', { body, signal, parse: parseFunnelAnswer }),
  funnelPersons: (c: ApiClient, body: FunnelPersonsBody, signal?: AbortSignal) =>
    c.send('POST', '/v1/funnels/persons', { body, signal, parse: parseFunnelPersons }),
  retention: (c: ApiClient, body: RetentionQueryBody, signal?: AbortSignal) =>
    c.send('POST', '/v1/retention/query', { body, signal, parse: parseRetention }),
  /** People are per project: `project` is needed when the key reads several. */
  searchPeople: (
    c: ApiClient,
    p: { q: string; project: string | null; cursor: string | null; limit: number },
    signal?: AbortSignal,
  ) =>
    c.get('/v1/users', {
      query: { q: p.q, project: p.project ?? undefined, cursor: p.cursor ?? undefined, limit: p.limit },
      signal,
      parse: parsePersonSearch,
    }),
  person: (c: ApiClient, id: string, project: string | null, signal?: AbortSignal) =>
    c.get(userPath(id), { query: { project: project ?? undefined }, signal, parse: parsePerson }),
  personEvents: (
    c: ApiClient,
    p: { id: string; project: string | null; cursor: string | null; limit: number },
    signal?: AbortSignal,
  ) =>
    c.get(`${userPath(p.id)}/events`, {
      query: { project: p.project ?? undefined, cursor: p.cursor ?? undefined, limit: p.limit },
      signal,
      parse: parsePersonEvents,
    }),
  erasePerson: (c: ApiClient, id: string, project: string | null) =>
    c.send('DELETE', userPath(id), { query: { project: project ?? undefined }, parse: parseErasureJob }),
  erasure: (c: ApiClient, jobId: string, signal?: AbortSignal) =>
    c.get(`/v1/erasures/${encodeURIComponent(jobId)}`, { signal, parse: parseErasureJob }),
};
