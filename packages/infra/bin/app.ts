import { ConfigError } from "@repo/platform-config/errors";
import { InfraValidationError } from "../src/errors.js";
import { buildInfraApp } from "../src/infra-app.js";

// The CDK app: `cdk synth` runs this (cdk.json). A mistake in platform.config.json or an app's
// deploy.json is the user's to fix: print its message, not a stack trace, and exit 2 (usage or
// config error), like deploy-kit does.
try {
  buildInfraApp();
} catch (error) {
  if (error instanceof ConfigError || error instanceof InfraValidationError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
