// Placeholder until the subcommand lands; replaced by its owner.
import type { Subcommand } from "../main.ts";

export const run: Subcommand = async (_argv, io) => {
  io.stderr.write("rewind: this command is not built yet\n");
  return 1;
};
