// What to do when a tenant has no events yet: the curl line that sends one.
import { publicApiOrigin } from '../config';
import { EmptyState } from './PanelStates';

export function sendEventCurl(origin: string): string {
  return [
    `curl -X POST ${origin}/v1/events \\`,
    `  -H 'Authorization: Bearer <ingest key>' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{"event_type":"signup","project":"web"}'`,
  ].join('\n');
}

export function SendEventHint() {
  return (
    <EmptyState title="No events yet — send one with curl">
      <pre className="code-block">
        <code>{sendEventCurl(publicApiOrigin())}</code>
      </pre>
      <p className="muted">
        Use a key with the <code>ingest</code> scope (
        <code>npm run cli -- key create --tenant &lt;slug&gt; --scope ingest</code>) and a project slug of your tenant.
        New events show up here within seconds.
      </p>
    </EmptyState>
  );
}
