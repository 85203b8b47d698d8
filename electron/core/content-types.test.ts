import { describe, expect, it } from 'vitest';
import { CONTENT_TYPES } from './content-types';

describe('CONTENT_TYPES', () => {
  // Both hosts send `x-content-type-options: nosniff`: with a wrong type a browser refuses
  // to run the script or apply the style sheet, and the window stays blank.
  it('gives each file type of the built renderer the type a nosniff browser accepts', () => {
    expect(CONTENT_TYPES).toEqual({
      '.html': 'text/html; charset=utf-8',
      '.js': 'text/javascript; charset=utf-8',
      '.mjs': 'text/javascript; charset=utf-8',
      '.css': 'text/css; charset=utf-8',
      '.svg': 'image/svg+xml',
      '.png': 'image/png',
      '.ico': 'image/x-icon',
      '.json': 'application/json',
      '.woff2': 'font/woff2',
    });
  });
});
