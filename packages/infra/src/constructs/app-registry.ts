import * as cdk from "aws-cdk-lib";
import * as ecr from "aws-cdk-lib/aws-ecr";
import * as logs from "aws-cdk-lib/aws-logs";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { InfraValidationError } from "../errors.js";
import { type AppPlatformResources, UNRELEASED_IMAGE } from "../platform-resources.js";

/** The tag prefix deploy-kit gives every image it releases: `release-<UTC timestamp>`. */
export const RELEASE_TAG_PREFIX = "release-";

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = new Set<number>(
  Object.values(logs.RetentionDays).filter((days): days is number => typeof days === "number"),
);

export interface AppRegistryProps {
  /** The app's name, for descriptions. */
  readonly appName: string;
  /** awsNames(project, env).app(app).repository */
  readonly repositoryName: string;
  /** awsNames(project, env).app(app).logGroup */
  readonly logGroupName: string;
  /** awsNames(project, env).app(app).imageParameter */
  readonly imageParameterName: string;
  /** How long the app's logs are kept: one of the periods CloudWatch Logs offers. */
  readonly logRetentionDays: number;
  /**
   * After how many days untagged images (layers of superseded pushes) are deleted.
   *
   * @default 7
   */
  readonly untaggedExpiryDays?: number;
  /**
   * How many images of any kind the repository keeps by count: released images are never
   * expired, and count among these; every other image beyond the newest `keepImages` is.
   *
   * @default 200
   */
  readonly keepImages?: number;
}

/**
 * Amazon ECR's quota of images per repository (Amazon ECR User Guide, "Amazon ECR service
 * quotas", https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html: 100,000 in
 * every Region, adjustable). A count rule can expire only images beyond its countNumber, so a rule
 * with this count never expires any: a repository cannot hold more. An account that raises the
 * quota above it should raise this too.
 */
export const ECR_IMAGES_PER_REPOSITORY = 100_000;

/**
 * What an app keeps across service changes, created by the platform stack: its ECR repository,
 * its log group and the SSM parameter that records the image it runs.
 */
export class AppRegistry extends Construct implements AppPlatformResources {
  public readonly repository: ecr.Repository;
  public readonly logGroup: logs.LogGroup;
  public readonly imageParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: AppRegistryProps) {
    super(scope, id);
    const untaggedExpiryDays = props.untaggedExpiryDays ?? 7;
    const keepImages = props.keepImages ?? 200;
    for (const [prop, value] of [
      ["untaggedExpiryDays", untaggedExpiryDays],
      ["keepImages", keepImages],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new InfraValidationError(
          this,
          prop,
          value,
          "must be a whole number, at least 1",
          `set ${prop} to a positive whole number`,
        );
      }
    }
    if (!LOG_RETENTION_DAYS.has(props.logRetentionDays)) {
      throw new InfraValidationError(
        this,
        "logRetentionDays",
        props.logRetentionDays,
        "is not a retention period CloudWatch Logs offers",
        `set logRetentionDays to one of ${[...LOG_RETENTION_DAYS].sort((a, b) => a - b).join(", ")}`,
      );
    }

    this.repository = new ecr.Repository(this, "Repository", {
      repositoryName: props.repositoryName,
      // A tag names one image forever: a release recorded as `release-...` cannot be repointed.
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.AES_256,
      // Images outlive the app's removal from the platform: delete the repository by hand.
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    // The rules, in priority order. ECR applies them lowest priority number first, and "an image
    // that matches the tagging requirements of a rule cannot be expired by a rule with a lower
    // priority" (Amazon ECR User Guide, "Lifecycle policies",
    // https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html). So rule 1
    // selects every image with a `release-` tag (deploy-kit adds one to each image it released)
    // and, with a count no repository can exceed, expires none of them: rules 2 and 3 can never
    // expire a released image either, however old or however many there are. A count of
    // releases to keep would not do: ECR counts by push time, so a rollback to an old release
    // leaves the running image the oldest, the first a count rule expires, and the next task
    // (a scale-out, a replaced instance) could not pull it. Released images are kept for good;
    // remove one by hand with `aws ecr batch-delete-image` once nothing can roll back to it.
    // (A lifecycle policy can only expire or archive images; "keep" is expressed this way.)
    this.repository.addLifecycleRule({
      rulePriority: 1,
      description: `Never expire a released image (${RELEASE_TAG_PREFIX}*)`,
      tagStatus: ecr.TagStatus.TAGGED,
      tagPrefixList: [RELEASE_TAG_PREFIX],
      maxImageCount: ECR_IMAGES_PER_REPOSITORY,
    });
    this.repository.addLifecycleRule({
      rulePriority: 2,
      description: `Expire untagged images after ${untaggedExpiryDays} days`,
      tagStatus: ecr.TagStatus.UNTAGGED,
      maxImageAge: cdk.Duration.days(untaggedExpiryDays),
    });
    // Rule 3 still counts the released images (rules "can still identify them as if they
    // haven't been expired") but cannot expire them: it removes builds that were pushed and
    // never released, beyond the newest 200 images of any kind.
    this.repository.addLifecycleRule({
      rulePriority: 3,
      description: `Expire any other image beyond the newest ${keepImages}`,
      tagStatus: ecr.TagStatus.ANY,
      maxImageCount: keepImages,
    });

    this.logGroup = new logs.LogGroup(this, "LogGroup", {
      logGroupName: props.logGroupName,
      retention: props.logRetentionDays as logs.RetentionDays,
      // Logs of an app removed from the platform are still wanted until they expire.
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });

    // deploy-kit overwrites this value (PutParameter) after every release, and the service stack
    // reads it for its image, so a later `cdk deploy` keeps the released image. CloudFormation
    // writes Value only when it creates the parameter or when one of this resource's properties
    // changes in the template: a stack update that leaves the resource's template unchanged
    // does not touch the parameter (aws/aws-cdk#14051). So every property here is fixed: the
    // initial value, the description, the tier and no tags (a tag change is a property change
    // and would write UNRELEASED_IMAGE over the released image: aws/aws-cdk#25949; the app's
    // tagging leaves AWS::SSM::Parameter out for this reason).
    this.imageParameter = new ssm.StringParameter(this, "ImageParameter", {
      parameterName: props.imageParameterName,
      stringValue: UNRELEASED_IMAGE,
      description: `The image app ${props.appName} runs; written by deploy-kit after each release`,
      tier: ssm.ParameterTier.STANDARD,
    });
  }
}
