// Captures what the process writes to stdout and stderr (the Powertools logger's JSON lines among it: WARN and ERROR
// go to stderr), line by line, still passing it through. Returns the function that stops capturing.
export function captureOutput(onLine: (line: string) => void): () => void {
  const restore = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = String(chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : chunk);
      for (const line of text.split('\n')) if (line) onLine(line);
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    return () => (stream.write = original);
  });
  return () => restore.forEach((r) => r());
}

/** A log line of the logger as an object; undefined for any other output. */
export function parseLogLine(line: string): (Record<string, unknown> & { message: string }) | undefined {
  return line.startsWith('{') && line.includes('"level"') ? JSON.parse(line) : undefined;
}
