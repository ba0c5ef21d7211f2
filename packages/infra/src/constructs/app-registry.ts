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
   * How many released images (tag prefix `release-`) the repository keeps.
   *
   * @default 30
   */
  readonly keepReleases?: number;
  /**
   * After how many days untagged images (layers of superseded pushes) are deleted.
   *
   * @default 7
   */
  readonly untaggedExpiryDays?: number;
  /**
   * How many images of any kind the repository keeps, not counting the kept releases.
   *
   * @default 200
   */
  readonly keepImages?: number;
}

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
    const keepReleases = props.keepReleases ?? 30;
    const untaggedExpiryDays = props.untaggedExpiryDays ?? 7;
    const keepImages = props.keepImages ?? 200;
    for (const [prop, value] of [
      ["keepReleases", keepReleases],
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
    // https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html). So
    // every image carrying a `release-` tag is judged by rule 1 alone: the newest 30 releases
    // (which include every image an environment runs and its rollback targets) are never
    // expired by rules 2 or 3, however old or however many images there are.
    this.repository.addLifecycleRule({
      rulePriority: 1,
      description: `Keep the newest ${keepReleases} released images (${RELEASE_TAG_PREFIX}*)`,
      tagStatus: ecr.TagStatus.TAGGED,
      tagPrefixList: [RELEASE_TAG_PREFIX],
      maxImageCount: keepReleases,
    });
    this.repository.addLifecycleRule({
      rulePriority: 2,
      description: `Expire untagged images after ${untaggedExpiryDays} days`,
      tagStatus: ecr.TagStatus.UNTAGGED,
      maxImageAge: cdk.Duration.days(untaggedExpiryDays),
    });
    // Rule 3 still counts the images rule 1 kept (rules "can still identify them as if they
    // haven't been expired") but cannot expire them: it removes builds that were pushed and
    // never released, beyond the newest 200 images.
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
