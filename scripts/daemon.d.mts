// Types for scripts/daemon.mjs (plain JS so it runs without a build), for the tests that need a port.
/** A TCP port on 127.0.0.1 that nothing listens on at the moment of asking. */
export declare function freePort(): Promise<number>
