// A table of events; each row expands to the event's full JSON.
import { useId, useMemo, useState } from 'react';
import type { StoredEvent } from '../api/types';
import { DataTable } from '../components/DataTable';
import { formatDateTime } from '../lib/format';
import { personHref } from '../lib/router';
import { cellText, propertyColumns } from './columns';

export function EventTable({ events, caption }: { events: readonly StoredEvent[]; caption: string }) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  function toggle(eventId: string) {
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(eventId)) next.delete(eventId);
      else next.add(eventId);
      return next;
    });
  }
  // The loaded events' most common properties, as columns after the fixed ones.
  const props = useMemo(() => propertyColumns(events), [events]);
  return (
    <DataTable
      caption={caption}
      columns={[
        'Time',
        'Event type',
        'Project',
        'User ID',
        'Session ID',
        'Event ID',
        ...props.map((p) => <span className="mono">{p}</span>),
      ]}
    >
      {events.map((event) => (
        <EventRows
          key={event.event_id}
          event={event}
          props={props}
          expanded={expanded.has(event.event_id)}
          onToggle={toggle}
        />
      ))}
    </DataTable>
  );
}

function EventRows({
  event,
  props,
  expanded,
  onToggle,
}: {
  event: StoredEvent;
  props: readonly string[];
  expanded: boolean;
  onToggle: (eventId: string) => void;
}) {
  // event_id may hold spaces, which an id reference list cannot.
  const detailId = useId();
  function handleRowClick() {
    // Selecting text in a row (to copy an id) should not toggle it.
    if ((window.getSelection()?.toString() ?? '') !== '') return;
    onToggle(event.event_id);
  }
  return (
    <>
      <tr
        className={expanded ? 'events-table__row events-table__row--open' : 'events-table__row'}
        onClick={handleRowClick}
      >
        <td>
          <button
            type="button"
            className="row-toggle"
            aria-expanded={expanded}
            aria-controls={expanded ? detailId : undefined}
            onClick={(clickEvent) => {
              clickEvent.stopPropagation();
              onToggle(event.event_id);
            }}
          >
            <span className="row-toggle__chevron" aria-hidden="true" />
            <time dateTime={event.timestamp}>{formatDateTime(event.timestamp)}</time>
          </button>
        </td>
        <td>{event.event_type}</td>
        <td>{event.project}</td>
        <td>
          {event.user_id === null ? (
            <span className="muted">—</span>
          ) : (
            // The person behind the id (its merged ids and timeline); the click must not also open the row.
            <a
              href={personHref(event.user_id, event.project)}
              title="Open this person"
              onClick={(e) => e.stopPropagation()}
            >
              {event.user_id}
            </a>
          )}
        </td>
        <td>{event.session_id ?? <span className="muted">—</span>}</td>
        <td className="mono">{event.event_id}</td>
        {props.map((name) => {
          const text = cellText(event.properties, name);
          return (
            <td key={name} className="events-table__prop" title={text ?? undefined}>
              {text ?? <span className="muted">—</span>}
            </td>
          );
        })}
      </tr>
      {expanded && (
        <tr className="events-table__detail">
          <td colSpan={6 + props.length}>
            <pre id={detailId} className="code-block" tabIndex={0} aria-label={`Event ${event.event_id} as JSON`}>
              <code>{JSON.stringify(event, null, 2)}</code>
            </pre>
          </td>
        </tr>
      )}
    </>
  );
}
