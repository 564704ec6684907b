// The index drizzle's durable-sqlite migrator reads (drizzle-kit's migrations.js): the journal and
// each migration's SQL, bundled into the Worker as text (scripts/build-worker.ts loads .sql as text).
import journal from "./meta/_journal.json";
import m0000 from "./0000_initial.sql";

export default { journal, migrations: { m0000 } };
