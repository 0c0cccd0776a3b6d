/**
 * `codex logout`: remove the stored credential, revoke an OAuth session at its issuer, and say plainly
 * what still authenticates (an environment variable, a token the server could not revoke).
 */
import { logout } from "../auth/logout.js";
import type { Revocation } from "../auth/oauth/revoke.js";
import { issuerHost } from "../config/oauth.js";
import type { ExitCode } from "../errors.js";
import type { CommandContext } from "./context.js";
import { describeExpiry } from "./expiry.js";

export interface LogoutCommandOptions extends CommandContext {
  /** `--no-revoke`: do not contact the issuer. */
  noRevoke?: boolean;
}

export async function runLogout(opts: LogoutCommandOptions): Promise<ExitCode> {
  const { io } = opts;
  const result = await logout({ config: opts.config, env: opts.env, revoke: !opts.noRevoke });
  io.out(result.removed ? "✅ Logged out successfully" : "No credential stored by codex; nothing to remove.");
  if (result.revocation !== null) reportRevocation(opts, result.revocation);
  if (result.revocationSkipped !== null) {
    io.warn(
      `the session was not revoked at ${issuerHost(result.revocationSkipped)} (--no-revoke); its tokens stay valid there until they expire`,
    );
  }
  for (const variable of result.stillAuthenticatedBy) {
    io.warn(
      `${variable} is set in your environment and still authenticates codex; unset it (\`unset ${variable}\`) to log out completely`,
    );
  }
  return 0;
}

function reportRevocation(opts: LogoutCommandOptions, r: Revocation): void {
  if (r.notRevoked.length === 0) {
    opts.io.out(`  Session revoked at ${r.issuer}`);
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
    `removed from this machine, but not revoked at ${issuerHost(r.issuer)}: ${r.reason}${partly}. It may still accept ${r.notRevoked.map(until).join(", and ")}`,
  );
}
