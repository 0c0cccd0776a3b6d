/** `codex doctor`: checks everything that commonly goes wrong and says how to fix each. */
import type { ExitCode } from "../errors.js";
import type { CommandContext } from "./context.js";

export interface DoctorOptions extends Omit<CommandContext, "config"> {
  json: boolean;
  /** Skip the request to the provider. */
  offline: boolean;
}

export async function runDoctor(_opts: DoctorOptions): Promise<ExitCode> {
  throw new Error("not written yet");
}
