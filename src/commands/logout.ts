/**
 * `codex logout`: remove the account's credential from every place codex stored it, revoke an OAuth
 * session at its issuer, and say plainly what was removed from where and what still authenticates (an
 * environment variable, an auth_command, a token the server could not revoke, Codex CLI's auth.json).
 */
import { type AccountLogout, logout } from "../auth/logout.js";
import type { Revocation } from "../auth/oauth/revoke.js";
import { issuerHost } from "../config/oauth.js";
import { ExitCode } from "../errors.js";
import { oneLine } from "../safe-text.js";
import type { CommandContext } from "./context.js";
import { describeExpiry } from "./expiry.js";

export interface LogoutCommandOptions extends CommandContext {
  /** `--no-revoke`: do not contact the issuer. */
  noRevoke?: boolean;
  /** `--all`: every account, and Codex CLI's auth.json. */
  all?: boolean;
}

export async function runLogout(opts: LogoutCommandOptions): Promise<ExitCode> {
  const { io } = opts;
  const result = await logout({
    config: opts.config,
    env: opts.env,
    profile: opts.profile,
    all: opts.all === true,
    revoke: !opts.noRevoke,
  });
  const managed = result.accounts.filter((a) => a.managedBy !== null);
  if (result.removed) {
    io.out(result.failures.length === 0 ? "✅ Logged out successfully" : "Logged out, but not from every place:");
  } else if (result.failures.length === 0 && managed.length === 0) {
    io.out("No credential stored by codex; nothing to remove.");
  }
  const several = result.accounts.filter((a) => a.removedFrom.length > 0 || a.managedBy !== null).length > 1;
  for (const a of result.accounts) {
    const label = several || a.account !== "default" ? `${a.account}: ` : "";
    for (const place of a.removedFrom) io.out(`  ${label}Removed from ${place}`);
    if (a.revocation !== null) reportRevocation(opts, a.revocation, label);
    if (a.revocationSkipped !== null) {
      io.warn(
        `${label}the session was not revoked at ${issuerHost(a.revocationSkipped)} (--no-revoke); its tokens stay valid there until they expire`,
      );
    }
    if (a.managedBy !== null) reportManaged(opts, a, label);
  }
  if (result.codexAuth !== null) {
    if (result.codexAuth.removed) {
      const linked = result.codexAuth.linkedTo;
      io.out(`  Removed ${result.codexAuth.path} (OpenAI's Codex CLI's sign-in)`);
      if (linked !== undefined) io.out(`  Removed ${linked}, the file it was a symbolic link to`);
      // Its ChatGPT session, reported as an account's is, under the file's name.
      const { revocation, revocationSkipped } = result.codexAuth;
      if (revocation !== undefined) reportRevocation(opts, revocation, "auth.json: ");
      if (revocationSkipped !== undefined) {
        io.warn(
          `auth.json: the ChatGPT session was not revoked at ${issuerHost(revocationSkipped)} (--no-revoke); its tokens stay valid there until they expire`,
        );
      }
    } else if (!opts.all) {
      io.warn(
        `${result.codexAuth.path} (OpenAI's Codex CLI's sign-in) still holds a credential; codex does not use it, and \`codex logout --all\` removes it`,
      );
    }
  }
  for (const variable of result.stillAuthenticatedBy) {
    io.warn(
      `${variable} is set in your environment and still authenticates codex; unset it (\`unset ${variable}\`) to sign out completely`,
    );
  }
  for (const failure of result.failures) io.error(failure);
  return result.failures.length > 0 ? ExitCode.failure : ExitCode.ok;
}

function reportManaged(opts: LogoutCommandOptions, a: AccountLogout, label: string): void {
  opts.io.warn(
    `${label}this account's credential comes from \`${a.managedBy}\` (auth_command in config.toml) and is managed by that tool: codex never stored it, so there is nothing for codex to remove; remove it with \`${a.managedBy}\`, or remove auth_command from config.toml to stop using it`,
  );
}

function reportRevocation(opts: LogoutCommandOptions, r: Revocation, label: string): void {
  if (r.notRevoked.length === 0) {
    opts.io.out(`  ${label}Session revoked at ${oneLine(r.issuer)}`);
    return;
  }
  const until = (kind: string) =>
    kind === "access_token"
      ? r.accessTokenExpiresAt === undefined
        ? "the access token until it expires"
        : `the access token until ${r.accessTokenExpiresAt.toISOString()} (${describeExpiry(r.accessTokenExpiresAt, opts.clock())})`
      : "the refresh token until the server expires it";
  const partly = r.revoked.length > 0 ? ` (revoked: ${r.revoked.join(", ").replaceAll("_", " ")})` : "";
  opts.io.warn(
    `${label}removed from this machine, but not revoked at ${issuerHost(r.issuer)}: ${r.reason}${partly}; it may still accept ${r.notRevoked.map(until).join(", and ")}`,
  );
}
