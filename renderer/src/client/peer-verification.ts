/**
 * Verification-code requests. The peers work adds `getVerificationCode` and
 * `setPeerVerified` to the contract; until that lands on this branch the
 * dialog calls them by name and reports a clear error when the host lacks them.
 */
import type { PeerDto } from '../../../shared/dto';
import type { FerryHost } from '../../../shared/host-api';
import { RequestError } from './request-error';

interface VerificationApi {
  getVerificationCode(peerId: string): Promise<string | { code: string }>;
  setPeerVerified(peerId: string, verified: boolean): Promise<PeerDto | void>;
}

function api(host: FerryHost): Partial<VerificationApi> {
  return host as unknown as Partial<VerificationApi>;
}

export async function getVerificationCode(host: FerryHost, peerId: string): Promise<string> {
  const fn = api(host).getVerificationCode;
  if (!fn) throw new RequestError('NOT_SUPPORTED', 'verification codes are not available in this build');
  const result = await fn(peerId);
  return typeof result === 'string' ? result : result.code;
}

export async function setPeerVerified(host: FerryHost, peerId: string, verified: boolean): Promise<PeerDto | null> {
  const fn = api(host).setPeerVerified;
  if (!fn) throw new RequestError('NOT_SUPPORTED', 'verification is not available in this build');
  return (await fn(peerId, verified)) ?? null;
}
