/// <reference types="node" />
import { parse as parseSfc } from '@vue/compiler-sfc';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, NoticeOnlyCodes } from '../../../shared/errors';
import { RendererErrorCodes } from '../client/request-error';
import en from './en';
import { resolveLocale } from './index';
import zhCN from './zh-CN';

function keys(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    typeof v === 'object' ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

describe('string catalogues', () => {
  it('zh-CN has exactly the keys en has, and no empty strings', () => {
    expect(keys(zhCN).sort()).toEqual(keys(en).sort());
    for (const k of keys(zhCN)) {
      const value = k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], zhCN);
      expect(value, k).not.toBe('');
    }
  });

  it('translates every error code the engine can return or the renderer raises, in both languages', () => {
    for (const code of [...Object.keys(ErrorCodes), ...Object.keys(RendererErrorCodes)]) {
      expect(en.errors, code).toHaveProperty(code);
      expect(zhCN.errors, code).toHaveProperty(code);
    }
    // Nothing else: a string for a code nobody raises is dead.
    expect(Object.keys(en.errors).sort()).toEqual(
      ['unknown', ...Object.keys(ErrorCodes), ...Object.keys(RendererErrorCodes)].sort(),
    );
  });

  it('translates every notice code in both languages: notice-only codes under notices, error codes under errors', () => {
    for (const code of Object.keys(NoticeOnlyCodes)) {
      expect(en.notices, code).toHaveProperty(code);
      expect(zhCN.notices, code).toHaveProperty(code);
    }
    for (const code of Object.keys(en.notices)) {
      expect(Object.hasOwn(NoticeOnlyCodes, code) || Object.hasOwn(ErrorCodes, code), code).toBe(true);
    }
  });

  it('the Chinese catalogue is actually Chinese (not copied English)', () => {
    const same = keys(en).filter((k) => {
      const get = (o: object) => k.split('.').reduce<unknown>((x, p) => (x as Record<string, unknown>)[p], o);
      return get(en) === get(zhCN);
    });
    // Only names that are the same in every language may match.
    expect(same.sort()).toEqual([
      'app.name',
      'peerInfo.protocolFerry',
      'peerInfo.protocolIpmsg',
      'settings.languageEn',
      'settings.languageZh',
    ]);
  });

  it('templates contain no literal user-visible text (everything goes through vue-i18n)', () => {
    const dir = path.join(import.meta.dirname, '..');
    const files = [
      path.join(dir, 'App.vue'),
      ...readdirSync(path.join(dir, 'components')).map((f: string) => path.join(dir, 'components', f)),
    ].filter((f) => f.endsWith('.vue'));
    for (const file of files) {
      const ast = parseSfc(readFileSync(file, 'utf8')).descriptor.template!.ast!;
      const literals: string[] = [];
      const walk = (node: { type: number; content?: unknown; children?: unknown[] }) => {
        // NodeTypes.TEXT = 2: static text between tags ({{ }} is INTERPOLATION = 5).
        if (node.type === 2 && /\p{L}{2,}/u.test(String(node.content))) literals.push(String(node.content).trim());
        for (const child of (node.children ?? []) as (typeof node)[]) walk(child);
      };
      walk(ast as never);
      expect(literals, path.basename(file)).toEqual([]);
    }
  });
});

describe('resolveLocale', () => {
  it('follows the system language unless the user chose one', () => {
    expect(resolveLocale('system', ['zh-TW', 'en'])).toBe('zh-CN');
    expect(resolveLocale('system', ['zh'])).toBe('zh-CN');
    expect(resolveLocale('system', ['en-GB'])).toBe('en');
    expect(resolveLocale('system', ['fr-FR', 'de'])).toBe('en');
    expect(resolveLocale('system', ['fr-FR', 'zh-CN'])).toBe('zh-CN');
    expect(resolveLocale('en', ['zh-CN'])).toBe('en');
    expect(resolveLocale('zh-CN', ['en-US'])).toBe('zh-CN');
  });
});
