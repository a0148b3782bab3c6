// A concurrency cap inside workflow code: at most `size` tasks run at once, started in the order they
// were submitted; `beforeStart` may refuse a task (throw) when its turn comes. Deterministic (plain promises, no timers), so a replay admits them in the same order.
// (p-limit would do the same, but workflow code imports nothing that is not deterministic by review.)
export function slots(size: number, beforeStart: () => void = () => undefined): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    running--;
    waiting.shift()?.();
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      beforeStart();
      return await task();
    } finally {
      release();
    }
  };
}
