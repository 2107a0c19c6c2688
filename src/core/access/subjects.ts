/** Who is asking, as rules see it. */
export interface Asker {
  /** null: anonymous (an anonymous token, or no authentication at all). */
  readonly username: string | null
  /** The user's roles in force (`admin` for an admin), narrowed by the token's claim. */
  readonly roles: readonly string[]
  /** Really: the user who created the object; null or undefined when there is none (yet). */
  readonly owner?: string | null
}

/** Whether a rule's subject list admits an asker. */
export type SubjectTest = (asker: Asker) => boolean

/**
 * Compiles a rule's `allow` list (subjects already validated by the config) into one test:
 * flags for the plain words, sets for names, so a test costs a few comparisons.
 */
export function compileSubjects (subjects: readonly string[]): SubjectTest {
  let anyone = false
  let anonymous = false
  let authenticated = false
  let owner = false
  const users = new Set<string>()
  const roles = new Set<string>()
  for (const subject of subjects) {
    if (subject === 'anyone') anyone = true
    else if (subject === 'anonymous') anonymous = true
    else if (subject === 'authenticated') authenticated = true
    else if (subject === 'owner') owner = true
    else if (subject.startsWith('user:')) users.add(subject.slice('user:'.length))
    else if (subject.startsWith('role:')) roles.add(subject.slice('role:'.length))
  }
  if (anyone) return () => true
  return (asker) => {
    const { username } = asker
    // Anonymous askers own nothing and have no name or roles to match.
    if (username === null) return anonymous
    if (authenticated || users.has(username)) return true
    if (owner && asker.owner != null && asker.owner === username) return true
    if (roles.size > 0) for (const role of asker.roles) if (roles.has(role)) return true
    return false
  }
}
