/**
 * The entry of zod's one-file build, dist/src/vendor/zod.cjs (`npm run build` bundles it with
 * esbuild). Node loads zod's 95 files one by one, and that was 30–50 ms of every command's start;
 * one file of the same code loads in a third of the time. Only the builders config.ts and
 * slack/payloads.ts use are exported, so that esbuild leaves out what nothing reaches (the other
 * locales, JSON Schema, the other types): 186 KB instead of 756 KB, and 20 ms less again.
 * util/commonjs.ts's requireZod uses it; its type, VendoredZod, is what a new use must add here.
 */
import { array, coerce, enum as enumOf, object, string, url } from 'zod';

export { version } from 'zod/v4/core';
export const z = { array, coerce, enum: enumOf, object, string, url };
