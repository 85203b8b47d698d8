// Types for bin/cli-bundle.mjs (plain JS, so bin/ferry.mjs runs it without tsx).
export const ROOT: string;
export const BUNDLE_DIR: string;
export const BUNDLE_ENTRY: string;
export const STAMP: string;
export function sha256(file: string): string;
export function fingerprint(relative: string, root?: string): { size: number; mtimeMs: number; sha256: string };
export function staleReason(dir?: string, root?: string): string | null;
