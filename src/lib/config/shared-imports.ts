import module from 'node:module'

/** Packages a user module may import by name without installing them: fa's API and the zod its examples use. */
const SHARED = /^(fa|zod)(\/|$)/

let registered = false

/**
 * Lets user modules (alert types, producers) import `fa` and `zod` from wherever they live, as
 * the README writes them: a name their own directory cannot resolve is resolved from fa's
 * package instead (its own copy, the one a global install brings). A module's own installed
 * package still wins. Hooks are per thread, so each thread that loads user modules calls this.
 */
export function shareImportsWithUserModules(): void {
  // Node before 22.15 has no in-thread hooks: there the names resolve as Node alone would.
  if (registered || typeof module.registerHooks !== 'function') return
  registered = true
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context)
      } catch (error) {
        if (!SHARED.test(specifier) || (error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
        return nextResolve(specifier, {...context, parentURL: import.meta.url})
      }
    },
  })
}
