/**
 * The entry of zod's one-file build, dist/src/vendor/zod.cjs (`npm run build` bundles it with
 * esbuild). Node loads zod's 95 files one by one, and that was 30–50 ms of every command's start;
 * one file of the same code loads in a third of the time. util/commonjs.ts's requireZod uses it.
 */
export { z } from 'zod';
