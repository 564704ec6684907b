// The demo application's data, shaped like the seed's schedgen: PostgreSQL tables (migrations,
// users, jobs, with sequences) and a MinIO bucket directory. v2 is what the bad deploy leaves
// behind (a migration, new rows, altered rows), so a rollback to v1 is visible in the data.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { DEMO_BUCKET, type DemoVersion } from "../../infra/demo-stack/services.ts";

export const DEMO_DATABASE = "schedgen";

/** Row counts per table after seeding each version: what a verify step compares against. */
export const demoRowCounts: Record<DemoVersion, { migrations: number; users: number; jobs: number }> = {
  v1: { migrations: 2, users: 3, jobs: 5 },
  v2: { migrations: 3, users: 4, jobs: 8 },
};

const V1 = `
CREATE TABLE migrations (id serial PRIMARY KEY, name text NOT NULL UNIQUE, applied_at timestamptz NOT NULL);
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE jobs (
  id serial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users(id),
  status text NOT NULL,
  pdf_type text NOT NULL,
  result_key text,
  created_at timestamptz NOT NULL
);
INSERT INTO migrations (name, applied_at) VALUES
  ('001_users', '2024-11-01T09:00:00Z'),
  ('002_jobs', '2024-11-01T09:00:01Z');
INSERT INTO users (email, name, created_at) VALUES
  ('ana@example.com', 'Ana', '2024-11-02T10:00:00Z'),
  ('ben@example.com', 'Ben', '2024-11-03T11:00:00Z'),
  ('chloe@example.com', 'Chloe', '2024-11-04T12:00:00Z');
INSERT INTO jobs (user_id, status, pdf_type, result_key, created_at) VALUES
  (1, 'completed', 'WEEKLY', 'calendars/week-47.ics', '2024-11-25T08:00:00Z'),
  (1, 'completed', 'MONTHLY', 'calendars/2024-11.ics', '2024-11-26T08:00:00Z'),
  (2, 'completed', 'WEEKLY', 'calendars/week-48.ics', '2024-11-27T08:00:00Z'),
  (3, 'failed', 'WEEKLY', NULL, '2024-11-28T08:00:00Z'),
  (2, 'pending', 'MONTHLY', NULL, '2024-11-29T08:00:00Z');
`;

// The bad deploy: a schema migration, new signups and jobs, and rows it rewrote.
const V2 = `
INSERT INTO migrations (name, applied_at) VALUES ('003_job_priority', '2024-11-30T14:30:00Z');
ALTER TABLE jobs ADD COLUMN priority integer NOT NULL DEFAULT 0;
INSERT INTO users (email, name, created_at) VALUES ('dan@example.com', 'Dan', '2024-11-30T14:31:00Z');
INSERT INTO jobs (user_id, status, pdf_type, result_key, created_at, priority) VALUES
  (4, 'failed', 'WEEKLY', NULL, '2024-11-30T14:32:00Z', 1),
  (4, 'failed', 'WEEKLY', NULL, '2024-11-30T14:33:00Z', 1),
  (1, 'failed', 'MONTHLY', NULL, '2024-11-30T14:34:00Z', 2);
UPDATE jobs SET status = 'failed', result_key = NULL WHERE id = 5;
UPDATE users SET name = 'Ana Smith' WHERE id = 1;
`;

/**
 * Brings the database at `url` to `version`'s data, idempotently: v1 creates the schema and rows;
 * v2 applies v1 first if needed, then the bad deploy's migration. Seeding v1 over v2 is refused.
 */
export async function seedDemoDatabase(url: string, version: DemoVersion): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass('migrations') IS NOT NULL AS exists");
    const applied = new Set<string>();
    if (rows[0]?.exists) {
      const names = await client.query<{ name: string }>("SELECT name FROM migrations");
      for (const row of names.rows) applied.add(row.name);
    }
    if (version === "v1" && applied.has("003_job_priority")) {
      throw new TypeError(`${url} already holds v2 demo data; seed v1 into a fresh database`);
    }
    await client.query("BEGIN");
    if (!applied.has("002_jobs")) await client.query(V1);
    if (version === "v2" && !applied.has("003_job_priority")) await client.query(V2);
    await client.query("COMMIT");
  } catch (error) {
    // The seeding error is what the caller needs; a failed ROLLBACK on a broken connection adds nothing.
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * Creates the demo database (the seed's `schedgen`) on a cluster and seeds it; returns its URL.
 * `createOptions` are CREATE DATABASE options (`TEMPLATE template0 ENCODING 'LATIN1' ...`).
 */
export async function createDemoDatabase(
  cluster: { adminUrl: string; urlFor(db: string): string },
  version: DemoVersion,
  name = DEMO_DATABASE,
  createOptions = "",
): Promise<string> {
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} ${createOptions}`);
  } finally {
    await admin.end();
  }
  const url = cluster.urlFor(name);
  await seedDemoDatabase(url, version);
  return url;
}

/** Files in the bucket per version; v2 adds an upload and rewrites a calendar. */
export function demoMinioFiles(version: DemoVersion): Record<string, string> {
  const v1: Record<string, string> = {
    "uploads/schedule-2024-11-25.pdf": "%PDF-1.4\n% demo weekly schedule, week 48\n%%EOF\n",
    "uploads/schedule-2024-11.pdf": "%PDF-1.4\n% demo monthly schedule, November\n%%EOF\n",
    "calendars/week-48.ics": "BEGIN:VCALENDAR\nVERSION:2.0\nSUMMARY:week 48 v1\nEND:VCALENDAR\n",
    "calendars/2024-11.ics": "BEGIN:VCALENDAR\nVERSION:2.0\nSUMMARY:November v1\nEND:VCALENDAR\n",
  };
  if (version === "v1") return v1;
  return {
    ...v1,
    "uploads/schedule-2024-12-02.pdf": "%PDF-1.4\n% demo weekly schedule, week 49 (uploaded after the bad deploy)\n%%EOF\n",
    "calendars/week-48.ics": "BEGIN:VCALENDAR\nVERSION:2.0\nSUMMARY:week 48 CORRUPTED by v2\nEND:VCALENDAR\n",
  };
}

/**
 * Writes MinIO's data directory content for `version` under `dir` (a volume's mountpoint or any
 * directory): the `schedgen` bucket as a folder, plus MinIO's own `.minio.sys` metadata folder.
 */
export async function seedMinioData(dir: string, version: DemoVersion): Promise<void> {
  const files: Record<string, string> = {
    ".minio.sys/format.json": '{"version":"1","format":"fs","fs":{"version":"2"}}\n',
    ...Object.fromEntries(Object.entries(demoMinioFiles(version)).map(([key, body]) => [`${DEMO_BUCKET}/${key}`, body])),
  };
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(dir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}
