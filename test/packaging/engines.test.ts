/** The Node requirement is declared once and agrees with the dependencies, the README and CI. */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const semver = createRequire(import.meta.url)('semver') as {
  subset(sub: string, dom: string): boolean;
  satisfies(version: string, range: string): boolean;
};
const declared = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } })
  .engines.node;

describe('engines', () => {
  it('every Node version package.json accepts satisfies every installed dependency', () => {
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: { node?: string } | string[] }>;
    };
    const stricter = Object.entries(lock.packages)
      .filter(([name]) => name !== '')
      .flatMap(([name, p]) => {
        const node = Array.isArray(p.engines) ? undefined : p.engines?.node;
        return node && !semver.subset(declared, node) ? [`${name} wants ${node}`] : [];
      });
    expect(stricter).toEqual([]);
  });

  it('the check can fail: the old ">=20.19" is looser than Electron\'s tooling', () => {
    expect(semver.subset('>=20.19', '>= 22.12.0')).toBe(false);
  });

  it('the README says it and the workflows run a version it accepts', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/Node\.js 22 \(≥ 22\.22\.2\) or 24 \(≥ 24\.15\)/);
    const workflows = path.join(root, '.github/workflows');
    for (const file of readdirSync(workflows)) {
      const text = readFileSync(path.join(workflows, file), 'utf8');
      for (const m of text.matchAll(/node-version:\s*'?([\d.x]+)'?/g)) {
        const version = m[1]!.replace(/\.x$/, '') + (m[1]!.split('.').length === 1 ? '.99.0' : '');
        expect(semver.satisfies(version, declared), `${file}: node-version ${m[1]}`).toBe(true);
      }
    }
  });
});
