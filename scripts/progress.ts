// Progress of long CLI work on stderr: a cli-progress bar on a terminal, plain lines otherwise (logs, CI).
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  advance(by: number): void;
  done(): void;
}

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  let current = 0;
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        stream,
        format: `${label} [{bar}] {value}/{total} | {percentage}% | {speed}/s | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
      },
      Presets.shades_classic,
    );
    const started = Date.now();
    bar.start(total, 0, { speed: 0 });
    return {
      advance(by) {
        current += by;
        bar.update(current, { speed: Math.round(current / Math.max(0.001, (Date.now() - started) / 1000)) });
      },
      done() {
        bar.stop();
      },
    };
  }
  let lastLine = 0;
  let printed = 0; // "0/N" says nothing
  const line = () => {
    lastLine = Date.now();
    printed = current;
    stream.write(`${label}: ${current}/${total}\n`);
  };
  return {
    advance(by) {
      current += by;
      // A line at most every second, and one when the total is reached; never the same count twice.
      if (current !== printed && ((current >= total && printed < total) || Date.now() - lastLine >= 1_000)) line();
    },
    done() {
      if (current !== printed) line();
    },
  };
}
