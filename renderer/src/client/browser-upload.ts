/**
 * Browser mode: what the user dropped or picked (files, folders, empty folders)
 * streamed to the local engine's staging folder, one POST per entry with its
 * path inside the drop, reporting bytes sent as they go (XHR has upload
 * progress; fetch doesn't). Answers the staged top-level paths to offer.
 */
import { RequestError } from './request-error';

export interface UploadEntry {
  /** '/'-separated path inside the drop ("photos/2024/a.jpg"); a plain file is just its name. */
  path: string;
  /** null: an (empty) folder. */
  file: File | null;
}

export interface UploadProgress {
  bytesDone: number;
  totalBytes: number;
}

export interface UploadTarget {
  /** The page's own URL: uploads go to the same origin. */
  url: string;
  /** This tab's session key (see ws-bridge.ts). */
  session: string;
}

export async function uploadEntries(
  target: UploadTarget,
  entries: UploadEntry[],
  onProgress: (p: UploadProgress) => void = () => {},
): Promise<string[]> {
  const batch = crypto.randomUUID();
  const totalBytes = entries.reduce((n, e) => n + (e.file?.size ?? 0), 0);
  let before = 0;
  const tops: string[] = [];
  onProgress({ bytesDone: 0, totalBytes });
  for (const entry of entries) {
    const top = await post(target, batch, entry, (sent) => onProgress({ bytesDone: before + sent, totalBytes }));
    before += entry.file?.size ?? 0;
    onProgress({ bytesDone: before, totalBytes });
    if (!tops.includes(top)) tops.push(top);
  }
  return tops;
}

function post(target: UploadTarget, batch: string, entry: UploadEntry, onSent: (n: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', new URL('/upload', target.url));
    xhr.setRequestHeader('x-ferry-session', target.session);
    xhr.setRequestHeader('x-ferry-batch', batch);
    xhr.setRequestHeader('x-ferry-path', encodeURIComponent(entry.path));
    xhr.setRequestHeader('x-ferry-name', encodeURIComponent(entry.path.split('/').pop() ?? entry.path));
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    if (!entry.file) xhr.setRequestHeader('x-ferry-directory', '1');
    xhr.upload.onprogress = (e) => onSent(e.loaded);
    xhr.onload = () => {
      let body: { path?: string; error?: { code: string; message: string } } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // An answer that isn't JSON is reported by its status below.
      }
      if (xhr.status === 200 && body.path) resolve(body.path);
      else
        reject(
          new RequestError(body.error?.code ?? 'UPLOAD_FAILED', body.error?.message ?? `upload failed (${xhr.status})`),
        );
    };
    xhr.onerror = () => reject(new RequestError('ENGINE_GONE', 'the upload could not reach the Ferry engine'));
    xhr.send(entry.file ?? new Blob([]));
  });
}

/**
 * The entries of a drop, folders walked (webkitGetAsEntry). Must be called
 * during the drop event: the DataTransfer is emptied once the handler returns.
 * Returns null when the browser can't list entries (then use dataTransfer.files).
 */
export function collectDropped(data: DataTransfer): Promise<UploadEntry[]> | null {
  const roots = Array.from(data.items)
    .filter((item) => item.kind === 'file')
    .map((item) => item.webkitGetAsEntry?.() ?? null);
  if (!roots.length || roots.some((r) => !r)) return null;
  return (async () => {
    const out: UploadEntry[] = [];
    for (const root of roots) await walk(root!, root!.name, out);
    return out;
  })();
}

async function walk(entry: FileSystemEntry, path: string, out: UploadEntry[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path, file });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries answers in pages (100 at a time in Chromium) until an empty one.
  for (;;) {
    const page = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!page.length) break;
    children.push(...page);
  }
  if (!children.length) {
    out.push({ path, file: null });
    return;
  }
  children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const child of children) await walk(child, `${path}/${child.name}`, out);
}

/** Picked with `<input webkitdirectory>`: each file knows its path inside the folder. */
export function entriesFromInput(files: File[]): UploadEntry[] {
  return files.map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}
