/** A progress bar on stderr (cli-progress), quiet when stderr is not a terminal. */
import cliProgress from 'cli-progress';

export interface ProgressBar {
  update(done: number, total: number, extra?: string): void;
  stop(): void;
}

export function progressBar(label: string): ProgressBar {
  if (!process.stderr.isTTY) {
    let lastPct = -1;
    return {
      update(done, total, extra) {
        const pct = Math.floor((100 * done) / Math.max(1, total));
        if (pct >= lastPct + 25 || done === total) {
          lastPct = pct;
          process.stderr.write(`${label}: ${done}/${total}${extra ? ` ${extra}` : ''}\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {extra}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, extra = '') {
      if (!started) {
        bar.start(total, done, { extra });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { extra });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
