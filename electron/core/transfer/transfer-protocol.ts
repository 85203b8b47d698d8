/**
 * The protocol side of transfers over Ferry's control link: domain intents become
 * frames (offer, offer-answer, transfer-stop, transfer-resume) and the peer's
 * frames become calls on a TransferFrameHandler. The transfer service never builds
 * a frame itself; another protocol plugs in here with its own module.
 */
import type { TransferState } from '../../../shared/dto';
import { errorCodeFrom } from '../../../shared/errors';
import { FerryError } from '../ferry-error';
import type { PeerLink } from '../net/connection-manager';
import type { DecodedFrame } from '../protocol/frame-codec';
import {
  offerBody,
  type ControlHeader,
  type OfferAnswerHeader,
  type OfferEntry,
  type OfferHeader,
  type TransferStopHeader,
} from '../protocol/frames';
import type { Transfer } from '../store/transfer-repo';

/** Longest error message put on the wire (the frame allows 1000 characters). */
export const MAX_WIRE_MESSAGE = 900;

/** The states a transfer-stop frame can carry. */
export type StopState = TransferStopHeader['state'];

/** What the peer's transfer frames mean for the transfers here. */
export interface TransferFrameHandler {
  /** A well-formed offer (entries add up to the header). */
  offered(link: PeerLink, header: OfferHeader, entries: OfferEntry[], totalBytes: number): void;
  /** The receiver answered our offer. */
  answered(link: PeerLink, answer: OfferAnswerHeader): void;
  /** The peer ended a transfer. */
  stopped(link: PeerLink, id: string, state: StopState, error: FerryError): void;
  /** The peer asks to (or announces that it will) resume a transfer. */
  resumeAsked(link: PeerLink, id: string): void;
}

/** Hands a transfer frame to the handler; returns false for frames that are not about transfers. */
export function dispatchTransferFrame(
  link: PeerLink,
  frame: DecodedFrame<ControlHeader>,
  handler: TransferFrameHandler,
): boolean {
  const { header } = frame;
  switch (header.type) {
    case 'offer': {
      const offer = readOffer(header, frame.body);
      if (offer instanceof FerryError) refuse(link, offer);
      else handler.offered(link, header, offer.entries, offer.totalBytes);
      return true;
    }
    case 'offer-answer':
      handler.answered(link, header);
      return true;
    case 'transfer-stop':
      handler.stopped(link, header.id, header.state, new FerryError(errorCodeFrom(header.code), header.message));
      return true;
    case 'transfer-resume':
      handler.resumeAsked(link, header.id);
      return true;
    default:
      return false;
  }
}

/** The offer's file list, or BAD_FRAME when it is not one or does not add up to its header. */
export function readOffer(
  header: OfferHeader,
  body: Buffer | null,
): { entries: OfferEntry[]; totalBytes: number } | FerryError {
  let entries: OfferEntry[];
  try {
    entries = offerBody.parse(JSON.parse(body?.toString('utf8') ?? ''));
  } catch {
    return new FerryError('BAD_FRAME', 'the offer body is not a valid file list; refused');
  }
  const totalBytes = entries.reduce((sum, e) => sum + (e.dir ? 0 : e.size), 0);
  if (
    entries.length !== header.fileCount ||
    totalBytes !== header.totalBytes ||
    entries.some((e) => e.dir && e.size !== 0)
  ) {
    return new FerryError('BAD_FRAME', 'the offer does not add up (file count, sizes or folders with a size); refused');
  }
  return { entries, totalBytes };
}

export function sendOffer(link: PeerLink, t: Transfer): void {
  const entries: OfferEntry[] = t.files.map((f) => ({
    path: f.path,
    size: f.size,
    mtime: f.mtime,
    dir: f.isDirectory,
  }));
  link.conn.send(
    { type: 'offer', id: t.id, fileCount: entries.length, totalBytes: t.totalBytes, createdAt: t.createdAt },
    Buffer.from(JSON.stringify(entries), 'utf8'),
  );
}

/** Tells the peer a transfer ended here (or that we refuse it), with the reason. No link: nothing to tell. */
export function sendStop(
  link: PeerLink | undefined,
  transfer: { id: string },
  state: StopState,
  error: { code: string; message: string },
): void {
  link?.conn.send({
    type: 'transfer-stop',
    id: transfer.id,
    state,
    code: error.code,
    message: error.message.slice(0, MAX_WIRE_MESSAGE),
  });
}

export function sendResume(link: PeerLink, transfer: { id: string }): void {
  link.conn.send({ type: 'transfer-resume', id: transfer.id });
}

/** Tells the sender where an incoming offer stands (after accept/decline, or when it offers again). */
export function sendAnswer(link: PeerLink, t: Transfer): void {
  const state: TransferState = t.state;
  if (state === 'offered') return; // still waiting for the user
  if (state === 'done') {
    // An id is used once: the files already arrived; a new send needs a new id.
    sendStop(link, t, 'failed', {
      code: 'BAD_FRAME',
      message: 'this transfer already finished; offer the files again under a new id',
    });
    return;
  }
  if (state === 'declined') {
    link.conn.send({ type: 'offer-answer', id: t.id, accept: false });
    return;
  }
  if (state === 'expired' || state === 'cancelled' || (state === 'failed' && t.saveDir === null)) {
    sendStop(link, t, state, t.error ?? { code: 'CANCELLED', message: state });
    return;
  }
  const rejected = t.files
    .filter((f) => f.state === 'failed' && f.error?.code === 'NAME_REJECTED')
    .map((f) => ({ index: f.index, code: f.error!.code, message: f.error!.message.slice(0, MAX_WIRE_MESSAGE) }));
  link.conn.send({ type: 'offer-answer', id: t.id, accept: true, ...(rejected.length ? { rejected } : {}) });
  if (state === 'failed') sendStop(link, t, 'failed', t.error ?? { code: 'INTERNAL', message: 'failed' });
}

/** The peer broke the protocol: tell it why and close the control link. */
export function refuse(link: PeerLink, error: FerryError): void {
  link.conn.fail(error);
}
