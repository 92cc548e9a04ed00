// Saving text the API answered (CSV, NDJSON) as a file: fetched with the key (a plain link could not send it),
// then handed to the browser as a blob download.

export function saveText(text: string, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The click has started the download; the URL is no longer needed after this turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * Pages of a paged export joined into one file: NDJSON pages are concatenated; a CSV page after the first drops its
 * header row when it repeats the first page's.
 */
export function joinPages(pages: readonly string[], format: 'csv' | 'ndjson'): string {
  if (pages.length === 0) return '';
  const withNewline = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);
  if (format === 'ndjson') return pages.map(withNewline).join('');
  const header = pages[0]!.split('\n', 1)[0]!;
  return pages
    .map((page, i) => {
      if (i === 0) return withNewline(page);
      const [first, ...rest] = page.split('\n');
      return withNewline(first === header ? rest.join('\n') : page);
    })
    .join('');
}
