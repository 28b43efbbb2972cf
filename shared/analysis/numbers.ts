/**
 * Numbers for people, at any scale: thousands separators (`93,322`), compact counts (`2.79 M`,
 * `1.2 T`) and byte sizes (`364.54 KB`). None of them ever prints `Infinity`, `NaN` or exponent
 * notation: a value that is not a finite number prints as `—` (analysis reports such sizes as an
 * error, LL025), and integers past 2^53 print all their digits.
 */

const NOT_A_SIZE = '—';

/** All digits of a non-negative integer-valued number, whatever its size (no exponent). */
function digits(n: number): string {
  const rounded = Math.round(n);
  return Number.isSafeInteger(rounded) ? String(rounded) : BigInt(rounded).toString();
}

/** Thousands separators as Keras prints them: `93,322`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return NOT_A_SIZE;
  const sign = n < 0 ? '-' : '';
  return sign + digits(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const COMPACT_UNITS = ['', ' K', ' M', ' G', ' T', ' P', ' E'];

/**
 * Three significant digits and a unit of 1,000: `950`, `12.3 K`, `2.79 M`, `1.2 T`. Counts below
 * 10,000 print exactly (`9,999`). Past the largest unit, all digits with separators.
 */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return NOT_A_SIZE;
  const a = Math.abs(n);
  if (a < 10_000) return formatCount(n);
  let u = 0;
  let v = a;
  while (v >= 999.5 && u < COMPACT_UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  if (v >= 999.5) return formatCount(n);
  const text = v >= 99.95 ? v.toFixed(0) : v >= 9.995 ? v.toFixed(1) : v.toFixed(2);
  // `1.20 T` reads as `1.2 T`; `10.0 K` as `10 K`.
  const trimmed = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  return `${n < 0 ? '-' : ''}${trimmed}${COMPACT_UNITS[u]}`;
}

/** Bytes as Keras prints them (`364.54 KB`, base 1024). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return NOT_A_SIZE;
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === units.length - 1 && v >= 1024 ? `${formatCount(v)} ${units[u]}` : `${v.toFixed(2)} ${units[u]}`;
}
