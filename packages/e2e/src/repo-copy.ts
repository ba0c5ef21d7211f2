// Moved to @repo/test-kit (the setup and generator tests copy the repository too).
export { RepoCopy } from "@repo/test-kit/repo-copy";
