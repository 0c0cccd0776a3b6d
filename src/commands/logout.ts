/** `codex logout`: remove the stored credential; say plainly what still authenticates. */
import { logout } from "../auth/logout.js";
import type { ExitCode } from "../errors.js";
import type { CommandContext } from "./context.js";

export async function runLogout(opts: CommandContext): Promise<ExitCode> {
  const { io } = opts;
  const result = await logout({ config: opts.config, env: opts.env });
  io.out(result.removed ? "✅ Logged out successfully" : "No credential stored by codex; nothing to remove.");
  for (const variable of result.stillAuthenticatedBy) {
    io.warn(
      `${variable} is set in your environment and still authenticates codex; unset it (\`unset ${variable}\`) to log out completely`,
    );
  }
  return 0;
}
