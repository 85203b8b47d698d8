#!/usr/bin/env node
// Renders the app icons from build/icon.svg: PNG sizes (Linux, tray), icon.png (512),
// icon.ico (Windows) and icon.icns (macOS). Needs rsvg-convert, ImageMagick and
// png2icns (Debian: librsvg2-bin imagemagick icnsutils). The results are committed,
// so packaging never needs these tools.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const build = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'build');
const source = path.join(build, 'icon.svg');
const sizes = [16, 32, 48, 64, 128, 256, 512, 1024];
mkdirSync(path.join(build, 'icons'), { recursive: true });
const png = (size) => path.join(build, 'icons', `${size}x${size}.png`);
for (const size of sizes)
  execFileSync('rsvg-convert', ['-w', String(size), '-h', String(size), '-o', png(size), source]);
copyFileSync(png(512), path.join(build, 'icon.png'));
execFileSync('convert', [...[16, 32, 48, 64, 128, 256].map(png), path.join(build, 'icon.ico')]);
execFileSync('png2icns', [path.join(build, 'icon.icns'), ...[16, 32, 128, 256, 512, 1024].map(png)]);
console.log('icons written to build/');
