/**
 * Extra certificate authorities for https, from the environment:
 *
 * - `CODEX_CA_CERTIFICATE`, else `SSL_CERT_FILE` (an empty value counts as unset): a PEM file whose
 *   certificates are trusted in addition to Node's own roots, for every https request codex makes and for
 *   an https:// proxy. The semantics of OpenAI's Codex CLI (openai/codex, codex-rs/codex-client/src/
 *   custom_ca.rs, followed at commit e6446a99c065fbff1f8120c18b91204cf43347eb): CODEX_CA_CERTIFICATE wins
 *   over SSL_CERT_FILE, the bundle adds to the system's roots rather than replacing them, CRLs and other
 *   blocks in it are ignored, a file without any certificate is an error.
 * - `NODE_EXTRA_CA_CERTS`: Node reads it itself, but a file it cannot use only earns a warning, and every
 *   request then fails with a TLS error that does not say why. So codex checks the file first, and keeps
 *   its certificates when CODEX_CA_CERTIFICATE or SSL_CERT_FILE replaces Node's default list.
 *
 * Failure policy: a file that is missing, unreadable, not a regular file, over MAX_CA_FILE_BYTES, or holds
 * no certificate is one NetworkSettingError naming the variable and the path, before any request. Checked
 * on the first request only, so commands that send none (`codex status`, `codex logout` without a session)
 * never read the files.
 */
import { ConfigAccessError, NetworkSettingError } from "../errors.js";
import { oneLine } from "../safe-text.js";
import type { Env } from "./paths.js";
import { readRegularFile } from "./regular-file.js";

/**
 * The largest CA file read: the whole Mozilla bundle that Linux distributions ship is about 220 KB, and a
 * corporate bundle adds a few certificates to it; sixteen times that is still read in a millisecond.
 */
export const MAX_CA_FILE_BYTES = 4 * 1024 * 1024;

/** The variables, in order of precedence for the custom bundle, then Node's own. */
export const CA_VARIABLES = ["CODEX_CA_CERTIFICATE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"] as const;

export interface CaFile {
  variable: string;
  path: string;
  /** The certificates, each one PEM block. */
  certificates: string[];
}

/**
 * What a TLS failure adds to its line: a certificate codex does not trust is most often a proxy or gateway
 * that re-signs TLS with the organisation's own CA.
 */
export const TLS_HINT =
  "if a proxy or gateway on your network re-signs TLS, set CODEX_CA_CERTIFICATE to a PEM file of its CA certificate (SSL_CERT_FILE and NODE_EXTRA_CA_CERTS work too)";

const TLS_CODE = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

/** Whether a system error's code is a TLS failure (an untrusted or mismatched certificate, a broken handshake). */
export function isTlsFailure(code: string): boolean {
  return TLS_CODE.test(code);
}

/** Which variable chooses the custom bundle (CODEX_CA_CERTIFICATE, else SSL_CERT_FILE), and its path. */
export function customCaVariable(env: Env): { variable: string; path: string } | undefined {
  for (const variable of ["CODEX_CA_CERTIFICATE", "SSL_CERT_FILE"]) {
    const path = env[variable];
    if (path !== undefined && path !== "") return { variable, path };
  }
  return undefined;
}

export function caConfigured(env: Env): boolean {
  return !!(env.CODEX_CA_CERTIFICATE || env.SSL_CERT_FILE || env.NODE_EXTRA_CA_CERTS);
}

/** The certificates of the file `variable` names, or NetworkSettingError naming both. */
export function readCaFile(variable: string, path: string): CaFile {
  const shown = oneLine(path, 300);
  const fix = `point ${variable} at a PEM file of CA certificates, or unset it`;
  let bytes: Buffer;
  try {
    const read = readRegularFile(path, MAX_CA_FILE_BYTES);
    if (read === undefined) {
      throw new NetworkSettingError(variable, `${variable} names ${shown}, which does not exist; ${fix}`);
    }
    bytes = read.bytes;
  } catch (err) {
    if (!(err instanceof ConfigAccessError)) throw err;
    const why =
      err.syscallCode === "EFBIG"
        ? `is larger than ${MAX_CA_FILE_BYTES / 1024 / 1024} MiB`
        : err.syscallCode === "ENOTREG"
          ? "is not a regular file"
          : err.syscallCode === "EISDIR"
            ? "is a directory"
            : err.syscallCode === "EACCES" || err.syscallCode === "EPERM"
              ? "codex may not read (permission denied)"
              : `codex cannot read (${oneLine(err.message, 200)})`;
    throw new NetworkSettingError(variable, `${variable} names ${shown}, which ${why}; ${fix}`, { cause: err });
  }
  const certificates = pemCertificates(bytes.toString("latin1"));
  if (certificates.length === 0) {
    throw new NetworkSettingError(variable, `${variable} names ${shown}, which holds no PEM certificate; ${fix}`);
  }
  return { variable, path, certificates };
}

const BEGIN = /-----BEGIN (TRUSTED )?CERTIFICATE-----/g;

/** Each `CERTIFICATE` (or OpenSSL's `TRUSTED CERTIFICATE`) block; anything else (CRLs, text) is skipped. */
export function pemCertificates(text: string): string[] {
  const blocks: string[] = [];
  BEGIN.lastIndex = 0;
  for (let match = BEGIN.exec(text); match !== null; match = BEGIN.exec(text)) {
    const end = `-----END ${match[1] ?? ""}CERTIFICATE-----`;
    const stop = text.indexOf(end, match.index);
    if (stop === -1) break;
    blocks.push(text.slice(match.index, stop + end.length));
    BEGIN.lastIndex = stop + end.length;
  }
  return blocks;
}
