// The one table markup: a scrolling box, a caption for screen readers, column headers; rows come as children.
import { useLayoutEffect, useRef, type ReactNode } from 'react';

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
  const table = useRef<HTMLTableElement>(null);
  // Each cell learns its column's name (data-label): on a phone the stylesheet shows rows as label/value cards.
  // Rows come from the callers, so the names are put on after each render (no deps: any row may have changed).
  useLayoutEffect(() => {
    const element = table.current;
    if (element === null) return;
    const names = Array.from(element.tHead?.rows[0]?.cells ?? [], (th) => th.textContent?.trim() ?? '');
    for (const row of Array.from(element.tBodies[0]?.rows ?? [])) {
      if (row.cells.length !== names.length) continue; // a detail row spanning the table
      Array.from(row.cells).forEach((cell, i) => {
        if (names[i]) cell.dataset.label = names[i];
        else delete cell.dataset.label;
      });
    }
  });
  return (
    <div className={['table-scroll', flush && 'panel panel--flush', className].filter(Boolean).join(' ')}>
      <table className="events-table" ref={table}>
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
