// What a running backup tells its caller (the CLI prints it, the agent reports it up).
export type BackupPhase = "prepare" | "database" | "minio" | "images" | "manifest" | "offsite" | "retention";

export interface BackupProgress {
  phase: BackupPhase;
  state: "running" | "succeeded" | "skipped";
  message: string;
}

export type OnBackupProgress = (event: BackupProgress) => void;
