/**
 * Whether a person can answer a prompt: stdin and stderr (where prompts are written) on a
 * terminal, and not in CI, which may run a job on a pseudo-terminal with nobody at it.
 */
export function canPrompt(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && !env.CI
}
