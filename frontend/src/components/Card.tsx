// A titled panel (a rule, an event type, a widget): an <article> named by its heading, extra header content beside it.
import { useId, type ReactNode } from 'react';

export function Card({
  title,
  header,
  className = 'panel',
  children,
}: {
  title: ReactNode;
  header?: ReactNode;
  className?: string;
  children: ReactNode;
}) {
  const headingId = useId();
  return (
    <article className={className} aria-labelledby={headingId}>
      <header className="panel__header">
        <h3 id={headingId} className="panel__title">
          {title}
        </h3>
        {header}
      </header>
      {children}
    </article>
  );
}
