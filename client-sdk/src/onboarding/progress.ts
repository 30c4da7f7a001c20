// Terminal progress bar for ingestion (percent of bytes read), shown only when stderr is a terminal.
import cliProgress from 'cli-progress';

/** A progress callback plus a stop function; no-ops when not on a terminal so scheduled runs log cleanly. */
export function ingestProgress(label: string): { onProgress: (bytesRead: number, totalBytes: number) => void; stop: () => void } {
  if (process.stderr.isTTY !== true) return { onProgress: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({ format: `${label} {bar} {percentage}% | {duration_formatted}`, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    onProgress: (bytes, total) => {
      if (!started) { bar.start(total, 0); started = true; }
      bar.update(bytes);
    },
    stop: () => { if (started) bar.stop(); },
  };
}
