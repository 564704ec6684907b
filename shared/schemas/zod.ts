// zod for every schema the control-plane Worker bundles: zod/mini (functional checks, so esbuild keeps
// only what is used: ~30 KB of the Worker instead of classic zod's ~80 KB, issue 15) with the English
// messages classic zod configures on import, so a refused field reads the same either way.
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

z.config(en());

export * from "zod/mini";
