// The one table markup: a scrolling box, a caption for screen readers, column headers; rows come as children.
import type { ReactNode } from 'react';

interface DataTableProps {
  caption: ReactNode;
  /** Column headers in order; `false` leaves a column out. */
  columns: readonly (ReactNode | false)[];
  /** Inside a flush panel (the table reaches the panel's edges). */
  flush?: boolean;
  /** Extra classes of the scrolling box. */
  className?: string;
  children: ReactNode;
}

export function DataTable({ caption, columns, flush = false, className, children }: DataTableProps) {
  return (
    <div className={['table-scroll', flush && 'panel panel--flush', className].filter(Boolean).join(' ')}>
      <table className="events-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c, i) =>
              c === false ? null : (
                <th key={i} scope="col">
                  {c}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
