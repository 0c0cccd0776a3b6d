/** `codex status` (alias `codex login status`): are you signed in, how, and from where. */
import { status } from "../auth/status.js";
import type { ExitCode } from "../errors.js";
import type { CommandContext } from "./context.js";

export interface StatusOptions extends CommandContext {
  json: boolean;
}

export async function runStatus(opts: StatusOptions): Promise<ExitCode> {
  const { io } = opts;
  const st = await status({ config: opts.config, env: opts.env });
  if (opts.json) {
    io.out(
      JSON.stringify({
        authenticated: st.authenticated,
        method: st.method,
        source: st.source === null ? null : st.source.type === "env" ? st.source.variable : st.source.path,
        source_type: st.source?.type ?? null,
        hint: st.hint,
        config_path: st.configPath,
        shadowed: st.shadowed,
      }),
    );
    return st.authenticated ? 0 : 1;
  }
  if (!st.authenticated || st.source === null) {
    io.out("Not logged in. Run `codex login` to sign in.");
    return 1;
  }
  io.out(`Logged in using an API key: ${io.bold(st.hint ?? "")}`);
  if (st.source.type === "env") {
    io.out(`  Source: environment variable ${st.source.variable}`);
  } else {
    io.out(`  Source: ${st.source.path}`);
  }
  if (st.shadowed !== null) {
    io.out(`  Note: the key stored in ${st.shadowed.path} (${st.shadowed.hint}) is not used while the variable is set`);
  }
  return 0;
}
