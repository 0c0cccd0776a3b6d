/** `codex status` (alias `codex login status`): are you signed in, how, and from where. */
import { status } from "../auth/status.js";
import { DEFAULT_PROVIDER, OPENAI_BASE_URL } from "../config/providers.js";
import type { ExitCode } from "../errors.js";
import type { CommandContext } from "./context.js";
import { describeExpiry } from "./expiry.js";

export interface StatusOptions extends CommandContext {
  json: boolean;
}

export async function runStatus(opts: StatusOptions): Promise<ExitCode> {
  const { io } = opts;
  const st = await status({ config: opts.config, env: opts.env, clock: opts.clock });
  const session = st.session;
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
        oauth:
          session === null
            ? null
            : {
                issuer: session.issuer,
                account: session.account,
                expires_at: session.expiresAt?.toISOString() ?? null,
                expired: session.expired,
                refreshable: session.refreshable,
                session_ended: session.ended,
              },
        provider:
          st.provider === null
            ? null
            : {
                id: st.provider.id,
                name: st.provider.name,
                base_url: st.provider.baseUrl,
                wire_api: st.provider.wireApi,
                model: st.provider.model,
              },
        provider_error: st.providerError,
      }),
    );
    return st.authenticated ? 0 : 1;
  }
  if (st.providerError !== null) io.warn(st.providerError);
  if (session?.ended) {
    io.out("Your session expired. Run `codex login` to sign in again.");
    io.out(`  Account: ${session.account ?? "(not named by the server)"} at ${session.issuer}`);
    io.out(`  Source: ${st.configPath}`);
    return 1;
  }
  if (!st.authenticated || st.source === null) {
    io.out("Not logged in. Run `codex login` to sign in.");
    return 1;
  }
  if (session !== null) {
    io.out(
      `Logged in with OAuth${session.account === null ? "" : ` as ${io.bold(session.account)}`}: ${st.hint ?? ""}`,
    );
    io.out(`  Issuer: ${session.issuer}`);
    if (session.expiresAt !== null) {
      const when = describeExpiry(session.expiresAt, opts.clock());
      io.out(
        session.expired
          ? `  Access token: expired ${when}; renewed on next use`
          : `  Access token: expires ${when}${session.refreshable ? " (renewed automatically)" : ""}`,
      );
    }
  } else {
    io.out(`Logged in using an API key: ${io.bold(st.hint ?? "")}`);
  }
  if (st.source.type === "env") {
    io.out(`  Source: environment variable ${st.source.variable}`);
  } else {
    io.out(`  Source: ${st.source.path}`);
  }
  // Named only when it is not the default, where the credential would go somewhere a user might not expect.
  if (st.provider !== null && (st.provider.id !== DEFAULT_PROVIDER || st.provider.baseUrl !== OPENAI_BASE_URL)) {
    io.out(`  Provider: ${st.provider.name} (${st.provider.baseUrl}, ${st.provider.wireApi} API)`);
  }
  if (st.shadowed !== null) {
    io.out(`  Note: the key stored in ${st.shadowed.path} (${st.shadowed.hint}) is not used while the variable is set`);
  }
  return 0;
}
