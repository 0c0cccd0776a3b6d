/**
 * A JWT's claims, read without checking its signature: only for what codex shows or times by (an email, a
 * plan, when a token expires), never to decide whom to trust.
 */

/** Longer than this is not a token anyone issued (OpenAI's are 1–3 KB); it is neither read nor sent. */
export const MAX_TOKEN_CHARS = 64 * 1024;

/** A JWT's payload, or undefined for anything that is not a JWT with a JSON object in it. */
export function jwtPayload(jwt: string | undefined): Record<string, unknown> | undefined {
  if (jwt === undefined || jwt.length > MAX_TOKEN_CHARS) return undefined;
  const parts = jwt.split(".");
  if (parts.length !== 3 || parts.some((p) => p === "")) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[1] as string, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When the claims say the token expires (`exp`, seconds since 1970), or undefined. An `exp` beyond the year
 * 5000 is no expiry anyone set: as a Date it would be far-fetched or, past 8.64e12 s, not a date at all.
 */
export function jwtExpiry(claims: Record<string, unknown> | undefined): Date | undefined {
  const exp = claims?.exp;
  return typeof exp === "number" && Number.isFinite(exp) && Math.abs(exp) < 1e11 ? new Date(exp * 1000) : undefined;
}
