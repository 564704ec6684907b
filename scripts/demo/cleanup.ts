// Everything the demo creates registers how to remove it here; cleanup runs newest first and keeps
// going past a failure, returning what could not be removed so the caller can say so.
export class Cleanup {
  private readonly tasks: { label: string; run: () => Promise<unknown> }[] = [];

  add(label: string, run: () => Promise<unknown>): void {
    this.tasks.push({ label, run });
  }

  /** Runs every task once, newest first; returns "label: message" for each one that failed. */
  async runAll(): Promise<string[]> {
    const failures: string[] = [];
    for (let task = this.tasks.pop(); task !== undefined; task = this.tasks.pop()) {
      try {
        await task.run();
      } catch (error) {
        failures.push(`${task.label}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failures;
  }
}
