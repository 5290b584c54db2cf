// Where a handler's repository is: owner, name and default branch, as the webhook payload says;
// and logins compared as GitHub compares them.
// Every GitHub call goes through the AccessRepo adapter (access-repo.ts, issue-side.ts).

export interface RepoRef {
  owner: string;
  repo: string;
  defaultBranch: string;
}

/** GitHub logins compare case-insensitively. */
export const sameLogin = (a: string | undefined, b: string): boolean => !!a && a.toLowerCase() === b.toLowerCase();
