// Finds a key that appears twice in one JSON object. JSON.parse keeps the last copy silently, which would
// let `{"event_type":"a","event_type":"b"}` mean something the sender may not have meant. Pure.

/** The first duplicated key in already-valid JSON text, or undefined. Iterative: deep nesting is safe. */
export function findDuplicateKey(text: string): string | undefined {
  // One frame per open object (its keys so far) or array (null).
  const frames: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const d = text.charCodeAt(j);
        if (d === 0x5c /* \ */) {
          escaped = true;
          j += 2;
        } else if (d === 0x22 || Number.isNaN(d)) break;
        else j++;
      }
      const frame = frames[frames.length - 1];
      if (expectKey && frame) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (frame.has(key)) return key;
        frame.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      frames.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      frames.push(null);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = frames[frames.length - 1] instanceof Set;
    }
  }
  return undefined;
}
