/**
 * Received names are data, never paths. A relative path from an offer is split
 * into segments and each segment is either made safe on every OS we ship to or
 * refused (NAME_REJECTED). The bar is LocalSend's sanitize_path, plus Unicode
 * normalisation and room for the " (1)" and ".part" suffixes.
 */
import { FerryError } from '../ferry-error';

/** Longest segment we create: 255 minus room for " (9999)" and ".part". */
export const NAME_BUDGET_BYTES = 240;
/** Deepest folder structure an offer may carry. */
export const MAX_DEPTH = 32;

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Illegal in Windows names, plus bidi overrides that disguise extensions ("txt.exe" shown as "exe.txt"). */
const REPLACE = /[<>:"|?*\u202a-\u202e\u2066-\u2069\ufeff]/g;

function reject(raw: string, why: string): never {
  const shown = JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
  throw new FerryError('NAME_REJECTED', `refused the name ${shown}: ${why}`);
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** Splits `name` into stem and extension (".tar.gz" counts as one extension only if short). */
function splitExt(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.length - dot > 16) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

/** Fits a name into `budget` bytes, keeping its extension. */
function fitName(name: string, budget = NAME_BUDGET_BYTES): string {
  if (Buffer.byteLength(name) <= budget) return name;
  const [stem, ext] = splitExt(name);
  const extBytes = Buffer.byteLength(ext);
  return extBytes < budget / 2 ? truncateUtf8(stem, budget - extBytes) + ext : truncateUtf8(name, budget);
}

/** Makes one path segment safe, or throws NAME_REJECTED. */
export function sanitizeSegment(raw: string, whole = raw): string {
  if (raw.includes('\0')) reject(whole, 'it contains a NUL character');
  if (CONTROL.test(raw)) reject(whole, 'it contains control characters');
  let name = raw.normalize('NFC').replace(REPLACE, '_');
  if (name === '.' || name === '..') reject(whole, `"${name}" is not a name`);
  name = name.replace(/[. ]+$/, ''); // Windows drops trailing dots and spaces; "a. " would alias "a"
  if (name === '') reject(whole, 'nothing is left of it after removing trailing dots and spaces');
  if (RESERVED.test(name)) name = `_${name}`; // CON, NUL.txt, COM1 … are devices on Windows
  name = fitName(name);
  return name.replace(/[. ]+$/, '') || reject(whole, 'it is empty after shortening');
}

/**
 * Turns an offered relative path ("folder/sub/photo.jpg") into safe segments.
 * Absolute paths, drive letters, UNC paths and any "." or ".." segment are refused.
 */
export function sanitizeRelativePath(raw: string): string[] {
  if (raw.includes('\0')) reject(raw, 'it contains a NUL character');
  if (/^[/\\]/.test(raw)) reject(raw, 'it is an absolute path');
  if (/^[A-Za-z]:/.test(raw)) reject(raw, 'it starts with a drive letter');
  const parts = raw.split(/[/\\]/);
  if (parts.some((p) => p === '..' || p === '.')) reject(raw, 'it climbs out of its folder ("." or "..")');
  const segments = parts.filter((p) => p !== '').map((p) => sanitizeSegment(p, raw));
  if (segments.length === 0) reject(raw, 'it is empty');
  if (segments.length > MAX_DEPTH) reject(raw, `it is nested deeper than ${MAX_DEPTH} folders`);
  return segments;
}

/** "photo.jpg", 2 → "photo (2).jpg" (still within the name budget). */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const [stem, ext] = splitExt(name);
  const suffix = ` (${n})${ext}`;
  return truncateUtf8(stem, NAME_BUDGET_BYTES - Buffer.byteLength(suffix)) + suffix;
}
