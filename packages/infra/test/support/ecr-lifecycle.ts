// A model of how Amazon ECR applies a lifecycle policy, written from the evaluation rules in the
// Amazon ECR User Guide ("How lifecycle policies work" and "Lifecycle policy properties",
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html and
// https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html):
// - all rules are evaluated, then applied lowest rulePriority first;
// - an image is expired by exactly one or zero rules;
// - an image that matches the tagging requirements of a rule cannot be expired by a rule with a
//   lower priority;
// - rules never mark images marked by higher priority rules, but still count them;
// - tagPrefixList matches an image when every prefix matches one of its tags;
// - imageCountMoreThan sorts the matching images youngest first by push time and expires the
//   ones beyond countNumber; sinceImagePushed expires those pushed more than countNumber days ago.

export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: {
    tagStatus: "tagged" | "untagged" | "any";
    tagPrefixList?: string[];
    countType: "imageCountMoreThan" | "sinceImagePushed";
    countUnit?: "days";
    countNumber: number;
  };
  action: { type: "expire" };
}

export interface LifecyclePolicy {
  rules: LifecycleRule[];
}

export interface RepositoryImage {
  /** A name for messages, such as the digest. */
  id: string;
  tags: string[];
  /** Days before "now" that the image was pushed. */
  pushedDaysAgo: number;
}

function matchesTagging(rule: LifecycleRule, image: RepositoryImage): boolean {
  const { tagStatus, tagPrefixList = [] } = rule.selection;
  if (tagStatus === "any") return true;
  if (tagStatus === "untagged") return image.tags.length === 0;
  return (
    image.tags.length > 0 &&
    tagPrefixList.every((prefix) => image.tags.some((tag) => tag.startsWith(prefix)))
  );
}

/** The images the policy expires, by id. */
export function expiredImages(policy: LifecyclePolicy, images: RepositoryImage[]): Set<string> {
  const expired = new Set<string>();
  const protectedByHigher = new Set<string>();
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  for (const rule of rules) {
    // Youngest first; counted whether or not a higher rule expired or protects them.
    const matching = images
      .filter((image) => matchesTagging(rule, image))
      .sort((a, b) => a.pushedDaysAgo - b.pushedDaysAgo);
    const { countType, countNumber } = rule.selection;
    const candidates =
      countType === "imageCountMoreThan"
        ? matching.slice(countNumber)
        : matching.filter((image) => image.pushedDaysAgo > countNumber);
    for (const image of candidates) {
      if (!expired.has(image.id) && !protectedByHigher.has(image.id)) expired.add(image.id);
    }
    for (const image of matching) protectedByHigher.add(image.id);
  }
  return expired;
}

/**
 * What ECR refuses in a policy, from the same pages: unique priorities, the `any` rule last, one
 * rule for untagged images, prefixes only with `tagged`, countUnit only with sinceImagePushed,
 * countNumber a positive integer, and the text within the 30,720-character quota (Amazon ECR
 * service quotas, "Lifecycle policy length").
 */
export function policyProblems(policy: LifecyclePolicy, text: string): string[] {
  const problems: string[] = [];
  const priorities = policy.rules.map((rule) => rule.rulePriority);
  if (new Set(priorities).size !== priorities.length) problems.push("rule priorities repeat");
  const highest = Math.max(...priorities);
  for (const rule of policy.rules) {
    const { tagStatus, tagPrefixList, countType, countUnit, countNumber } = rule.selection;
    const name = `rule ${rule.rulePriority}`;
    if (tagStatus === "any" && rule.rulePriority !== highest)
      problems.push(`${name}: tagStatus any must have the highest priority`);
    if (tagStatus === "tagged" && !tagPrefixList?.length)
      problems.push(`${name}: tagged needs a tagPrefixList`);
    if (tagStatus !== "tagged" && tagPrefixList !== undefined)
      problems.push(`${name}: a tagPrefixList needs tagStatus tagged`);
    if ((countUnit !== undefined) !== (countType === "sinceImagePushed"))
      problems.push(`${name}: countUnit goes with sinceImagePushed only`);
    if (!Number.isInteger(countNumber) || countNumber < 1)
      problems.push(`${name}: countNumber must be a positive integer`);
  }
  if (policy.rules.filter((rule) => rule.selection.tagStatus === "untagged").length > 1)
    problems.push("more than one rule selects untagged images");
  if (text.length > 30_720)
    problems.push(`the policy has ${text.length} characters, more than 30720`);
  return problems;
}
