/**
 * `codex token`: the credential codex would send right now, for scripts and other tools
 * (`curl -H "Authorization: Bearer $(codex token)" …`), as `gh auth token` hands out GitHub's. It is the
 * way for another program to get the credential: one that reads config.toml or auth.json and renews the
 * session itself replays refresh tokens that codex has already used, and the issuer then ends the session.
 *
 * The credential is chosen exactly as `run` and `chat` choose theirs (credentialInUse: the account, the
 * provider, an environment variable or auth_command that wins), and an OAuth session due for renewal is
 * renewed through the credential's own `current()`: the same lock and the one refresh every command uses,
 * so ten scripts asking at once cause one refresh between them. Only the token and a newline go to stdout;
 * a terminal gets nothing without --force, as the screen and its scrollback would keep the secret.
 */
import { type ResolvedCredential, sourceText } from "../auth/credential.js";
import { fallbackSelectorRefusal, refusalLine } from "../auth/codex-cli.js";
import { credentialInUse } from "../auth/in-use.js";
import { type ExitCode, UsageError } from "../errors.js";
import { jsonText } from "../safe-text.js";
import type { CommandContext } from "./context.js";

export interface TokenOptions extends CommandContext {
  json: boolean;
  /** Print on a terminal too. */
  force: boolean;
}

/** What kind of credential it is, for `--json`: what another tool needs to know to send it. */
type Kind = "api_key" | "oauth" | "chatgpt" | "command";

function kindOf(credential: ResolvedCredential): Kind {
  if (credential.source.type === "command") return "command";
  if (credential.oauth === undefined) return "api_key";
  return credential.oauth.protocol === "openai" ? "chatgpt" : "oauth";
}

export async function runToken(opts: TokenOptions): Promise<ExitCode> {
  const { io } = opts;
  // Refused before anything is looked up: no auth_command runs and no session is renewed for nothing.
  if (io.stdoutIsTTY() && !opts.force) {
    throw new UsageError(
      "codex token does not print the credential on a terminal, where the screen and its scrollback would keep it; pipe it to the program that needs it (`$(codex token)`), or add --force to show it",
    );
  }
  const selector = fallbackSelectorRefusal(opts.config, opts.env, opts.profile);
  if (selector !== undefined) io.warn(refusalLine(selector));
  const { account, credential } = await credentialInUse({
    config: opts.config,
    env: opts.env,
    clock: opts.clock,
    profile: opts.profile,
  });
  const token = credential.current === undefined ? credential.token : await credential.current();
  if (!opts.json) {
    io.out(token);
    return 0;
  }
  // After current(): a renewal replaced the session, and with it the expiry.
  const session = credential.oauth;
  io.out(
    jsonText({
      token,
      kind: kindOf(credential),
      expires_at: session?.expiresAt?.toISOString() ?? null,
      account: account.name,
      source: sourceText(credential.source),
      source_type: credential.source.type,
      chatgpt_account_id: session?.protocol === "openai" ? (session.chatgptAccountId ?? null) : null,
    }),
  );
  return 0;
}
