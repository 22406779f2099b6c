// Types for scripts/registry.mjs (plain JS so it runs without a build), for test/global-setup.ts.
export declare const API_PATH: string
export declare function defaultDir(): string
export declare function ensureApp(): string
export declare function findJava21(): string
export declare function startRegistry(opts?: {dir?: string; port?: number; timeoutMs?: number}): Promise<{
  url: string
  pid: number
  stop(): Promise<boolean>
}>
export declare function stopRegistry(dir?: string, opts?: {timeoutMs?: number}): Promise<boolean>
export declare function ensureAvroJava(): string
