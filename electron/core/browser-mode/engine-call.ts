/** One contract request from an untrusted page: known name, validated arguments, errors as {code, message}. */
import { parseArgs, requestNames, type FerryApi, type RequestName } from '../../../shared/api';
import type { ErrorDto } from '../../../shared/errors';
import { FerryError } from '../ferry-error';

export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: ErrorDto };

export async function callEngine(engine: FerryApi, name: unknown, args: unknown): Promise<CallOutcome> {
  try {
    if (typeof name !== 'string' || !requestNames.includes(name as RequestName)) {
      throw new FerryError('INVALID_ARGUMENT', `unknown request "${String(name)}"`);
    }
    const valid = parseArgs(name as RequestName, args ?? []) as unknown[];
    const result = await (engine[name as RequestName] as (...a: unknown[]) => Promise<unknown>).apply(engine, valid);
    return { ok: true, result: result ?? null };
  } catch (err) {
    return { ok: false, error: toErrorDto(err) };
  }
}

export function toErrorDto(err: unknown): ErrorDto {
  if (err && typeof err === 'object' && 'issues' in err && Array.isArray((err as { issues: unknown }).issues)) {
    const issues = (err as { issues: { path: PropertyKey[]; message: string }[] }).issues;
    return {
      code: 'INVALID_ARGUMENT',
      message: issues.map((i) => `${i.path.map(String).join('.') || 'arguments'}: ${i.message}`).join('; '),
    };
  }
  return FerryError.from(err).toDto();
}
