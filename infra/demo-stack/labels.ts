// The labels that scope test objects to one run: every container, network, volume and per-run image
// a test or the demo creates carries them, so cleanup and concurrent runs never touch another's.

export const TEST_LABEL = "rewind.test";
export const RUN_LABEL = "rewind.test.run";

export function testLabels(runId: string): Record<string, string> {
  return { [TEST_LABEL]: "1", [RUN_LABEL]: runId };
}
