/**
 * The entry of zod's one-file build, dist/src/vendor/zod.cjs (`npm run build` bundles it with
 * esbuild). Node loads a package's files one by one, and zod's were 30–50 ms of every command's
 * start. This is zod's functional form, zod/mini (the same core; config.ts says why), and only
 * the builders config.ts and slack/payloads.ts use, so that esbuild leaves out what nothing
 * reaches: about 60 KB, loaded in 3 ms. util/commonjs.ts's requireZod uses it; its type,
 * VendoredZod, is what a new use must add here. English messages, as the chained form sets them.
 */
import {
  _default,
  array,
  coerce,
  config,
  enum as enumOf,
  gte,
  int,
  lte,
  maxLength,
  minLength,
  object,
  optional,
  pipe,
  refine,
  regex,
  string,
  transform,
  url,
} from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import type { VendoredZod } from '../util/commonjs.js';

config(en());

export { version } from 'zod/v4/core';
export const z = {
  _default,
  array,
  coerce,
  enum: enumOf,
  gte,
  int,
  lte,
  maxLength,
  minLength,
  object,
  optional,
  pipe,
  refine,
  regex,
  string,
  transform,
  url,
  // Exactly the type's builders, no fewer and no more: the two lists cannot drift apart.
} satisfies VendoredZod['z'];
