// A test or suite that cannot run on this machine carries the reason in its title, so every report
// that lists it as skipped (vitest's, the JSON one CI counts) also says why.

/** `title`, or `title (skipped: reason)` when the test is skipped for `reason`. */
export function titled(title: string, skipReason: string | null | undefined): string {
  return skipReason ? `${title} (skipped: ${skipReason})` : title;
}
