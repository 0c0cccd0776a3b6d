/** How far away an expiry is, for people. */

/** "in 42 min", "in 3 h 5 min", "in 30 s"; "5 min ago" for the past. */
export function describeExpiry(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  const abs = Math.abs(ms);
  let span: string;
  if (abs < 60_000) span = `${Math.round(abs / 1000)} s`;
  else if (abs < 3_600_000) span = `${Math.round(abs / 60_000)} min`;
  else if (abs < 172_800_000) {
    const h = Math.floor(abs / 3_600_000);
    const m = Math.round((abs % 3_600_000) / 60_000);
    span = m === 0 ? `${h} h` : `${h} h ${m} min`;
  } else span = `${Math.round(abs / 86_400_000)} days`;
  return ms > 0 ? `in ${span}` : `${span} ago`;
}
