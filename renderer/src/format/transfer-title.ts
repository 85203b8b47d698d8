/** What a transfer is called in one line: its file, its one top folder, or "N files". */
import type { TransferDto } from '../../../shared/dto';

type Translate = (key: string, named: Record<string, unknown>, plural: number) => string;

export function transferTitle(tr: TransferDto, t: Translate): string {
  const first = tr.files[0];
  if (tr.fileCount <= 1 && first) return first.path.split('/').pop() ?? first.path;
  const top = first?.path.split('/')[0];
  // A long offer carries its first files only; they come first from the first folder offered.
  return top && tr.files.every((f) => f.path.split('/')[0] === top)
    ? top
    : t('file.nFiles', { n: tr.fileCount }, tr.fileCount);
}
