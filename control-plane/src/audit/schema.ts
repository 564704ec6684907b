// D1 tables of the audit log (drizzle, sqlite). Rows are only ever inserted: entries by the AuditLog
// Durable Object (the single writer, so seq has no gaps), checkpoints after each batch of appends.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const auditEntries = sqliteTable("audit_entries", {
  /** 0-based leaf index in the Merkle tree. */
  seq: integer("seq").primaryKey(),
  /** `canonicalJson(entry)`: exactly the bytes hashed into the leaf and exported as one NDJSON line. */
  entry: text("entry").notNull(),
  /** Hex SHA-256(0x00 ‖ entry), kept so proofs need no re-hashing. */
  leafHash: text("leaf_hash").notNull(),
});

export const auditCheckpoints = sqliteTable("audit_checkpoints", {
  treeSize: integer("tree_size").primaryKey(),
  /** Hex Merkle tree head at this size. */
  rootHash: text("root_hash").notNull(),
  /** The C2SP signed note as published. */
  note: text("note").notNull(),
  signedAt: text("signed_at").notNull(),
});
