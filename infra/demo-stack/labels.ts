// Docker labels the demo stack and the test world put on objects: Compose's own keys (the agent
// finds a project's containers by them) and the test keys that scope cleanup to one run.

export const COMPOSE_PROJECT = "com.docker.compose.project";
export const COMPOSE_SERVICE = "com.docker.compose.service";
export const COMPOSE_NETWORK = "com.docker.compose.network";
export const COMPOSE_VOLUME = "com.docker.compose.volume";

export const TEST_LABEL = "rewind.test";
export const RUN_LABEL = "rewind.test.run";

export function testLabels(runId: string): Record<string, string> {
  return { [TEST_LABEL]: "1", [RUN_LABEL]: runId };
}
