import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveRendererPath } from './renderer-protocol';

describe('renderer protocol', () => {
  const root = path.resolve('/app/out/renderer');
  it('maps app URLs into the renderer folder', () => {
    expect(resolveRendererPath(root, 'ferry-app://ui/')).toBe(path.join(root, 'index.html'));
    expect(resolveRendererPath(root, 'ferry-app://ui/assets/app.js')).toBe(path.join(root, 'assets/app.js'));
  });
  it('refuses paths that escape it', () => {
    expect(resolveRendererPath(root, 'ferry-app://ui/..%2F..%2Fmain%2Findex.js')).toBeNull();
    expect(resolveRendererPath(root, 'ferry-app://ui/..%5C..%5Cmain%5Cindex.js')).toBe(
      path.sep === '\\' ? null : path.join(root, '..\\..\\main\\index.js'),
    );
    // The URL parser already folds encoded dot segments, so this stays inside the root.
    expect(resolveRendererPath(root, 'ferry-app://ui/%2E%2E/%2E%2E/etc/passwd')).toBe(path.join(root, 'etc/passwd'));
  });
});
