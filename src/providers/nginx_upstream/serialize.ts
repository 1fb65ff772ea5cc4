/**
 * One change at a time per load balancer: two upstreams on one nginx must not test, swap and
 * reload at once (the second reload could load the first's untested file, and each confirmation
 * would watch the other's workers).
 */

const queues = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task queued under the same `key` has settled. */
export function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}
