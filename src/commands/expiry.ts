/** How far away an expiry is, for people. */

/** "in 42 min", "in 3 h 5 min", "in 30 s"; "5 min ago" for the past. */
export function describeExpiry(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  const abs = Math.abs(ms);
  let span: string;
  // Whole units, rounded down before splitting, so 3 h 59.7 min is "3 h 59 min", never "3 h 60 min".
  const minutes = Math.floor(abs / 60_000);
  if (abs < 60_000) span = `${Math.floor(abs / 1000)} s`;
  else if (minutes < 60) span = `${minutes} min`;
  else if (abs < 172_800_000) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    span = m === 0 ? `${h} h` : `${h} h ${m} min`;
  } else span = `${Math.round(abs / 86_400_000)} days`;
  return ms > 0 ? `in ${span}` : `${span} ago`;
}
