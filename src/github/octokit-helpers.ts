// Where a handler's repository is: owner, name and default branch, as the webhook payload says.
// Every GitHub call goes through the AccessRepo adapter (access-repo.ts, issue-side.ts).

export interface RepoRef {
  owner: string;
  repo: string;
  defaultBranch: string;
}
