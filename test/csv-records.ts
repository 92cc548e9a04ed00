// An RFC 4180 reader for tests (the product only writes CSV): quoted fields with doubled quotes, CRLF records.
// Strict: anything csvText (core/csv.ts) would not write is an error, so a test cannot pass on a lenient parse.
export function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const record: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i += 1;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new Error(`unterminated quoted field at ${i}`);
          field += text.slice(i, q);
          if (text[q + 1] === '"') {
            field += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
      } else {
        const end = text.slice(i).search(/[,\r\n"]/);
        const stop = end < 0 ? text.length : i + end;
        if (text[stop] === '"') throw new Error(`quote inside an unquoted field at ${stop}`);
        field = text.slice(i, stop);
        i = stop;
      }
      record.push(field);
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      if (text.startsWith('\r\n', i)) {
        i += 2;
        break;
      }
      throw new Error(`expected , or CRLF at ${i}`);
    }
    records.push(record);
  }
  return records;
}
