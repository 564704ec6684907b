// @ts-check
// Live screens refresh by polling: simple, works through any proxy, and survives a flaky network.
// A hidden tab does not poll (a phone in a pocket should not spend battery or data on it).

/**
 * Runs `tick` now, then again `intervalMs` after each run finishes (runs never overlap), until
 * `tick` resolves to false or the returned stop function is called.
 * @param {() => Promise<boolean | void>} tick
 * @param {number} intervalMs
 * @returns {() => void} stop
 */
export function poll(tick, intervalMs) {
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  async function run() {
    if (stopped) return;
    if (document.hidden) {
      document.addEventListener("visibilitychange", run, { once: true });
      return;
    }
    const again = await tick();
    if (again === false || stopped) return;
    timer = setTimeout(run, intervalMs);
  }
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", run);
  };
}
