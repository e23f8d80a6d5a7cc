import { statSync } from 'node:fs';

/**
 * Polls `file` (the demo consumer's processed-records file) every `intervalMs` until it is not empty,
 * then calls `onFirst` once with the milliseconds since `since`. Returns a function that stops polling.
 */
export function whenFirstRecord(file: string, since: number, onFirst: (ms: number) => void, intervalMs = 100): () => void {
  const timer = setInterval(() => {
    let size = 0;
    try {
      size = statSync(file).size;
    } catch {
      return; // not created yet
    }
    if (size === 0) return;
    clearInterval(timer);
    onFirst(Date.now() - since);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
