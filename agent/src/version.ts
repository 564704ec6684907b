// The agent's version, sent in its connect token and recorded in backup manifests.
export const agentVersion = "0.1.0";
