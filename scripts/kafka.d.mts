// Types for scripts/kafka.mjs (plain JS so it runs without a build), for test/global-setup.ts.
export declare function defaultDir(): string
export declare function ensureJars(): string
export declare function startBroker(opts?: {dir?: string; timeoutMs?: number}): Promise<{
  bootstrap: string
  pid: number
  stop(): Promise<boolean>
}>
export declare function stopBroker(dir?: string, opts?: {timeoutMs?: number}): Promise<boolean>
export declare function brokerStatus(dir?: string): {running: boolean; pid?: number; bootstrap?: string}
