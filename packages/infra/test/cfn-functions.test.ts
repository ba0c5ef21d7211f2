// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is Fn::Sub's syntax under test.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { writeTemplateRepo } from "@repo/test-kit/template-repo";
import type * as cdk from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildInfraApp } from "../src/infra-app.js";
import { exportNames, importedNames, undocumentedFunctions } from "./support/cfn-functions.js";
import { newApp } from "./support/platform.js";

// Every template `cdk synth` writes, checked against the CloudFormation intrinsic function
// reference (the tables and their sources are in support/cfn-functions.ts).

const repos: string[] = [];
afterAll(() => {
  for (const dir of repos) rmSync(dir, { recursive: true, force: true });
});

function editJson(file: string, edit: (json: Record<string, unknown>) => void): void {
  const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, JSON.stringify(json));
}

/** The template's config as it ships: staging and prod, apps api and web on Fargate. */
function defaultRepo(): string {
  const root = writeTemplateRepo();
  repos.push(root);
  return root;
}

/** The same with both apps on EC2 capacity big enough for them, in both environments. */
function ec2Repo(): string {
  const root = defaultRepo();
  editJson(path.join(root, "platform.config.json"), (config) => {
    const environments = config.environments as Record<string, Record<string, unknown>>;
    for (const name of ["staging", "prod"]) {
      const environment = environments[name] as Record<string, unknown>;
      environment.ec2 = { instanceType: "t3.medium", minInstances: 1, maxInstances: 3 };
    }
  });
  for (const app of ["api", "web"]) {
    editJson(path.join(root, "apps", app, "deploy.json"), (manifest) => {
      manifest.capacity = "ec2";
    });
  }
  return root;
}

interface SynthesizedStack {
  name: string;
  account: string;
  region: string;
  dependencies: string[];
  template: Record<string, unknown>;
}

function synthesize(root: string): SynthesizedStack[] {
  const app: cdk.App = newApp();
  // cdk-nag does not change templates; it only slows this test down.
  buildInfraApp({ cwd: root, app, nag: false });
  return app.synth().stacks.map((stack) => ({
    name: stack.stackName,
    account: stack.environment.account,
    region: stack.environment.region,
    dependencies: stack.dependencies.map((dependency) => dependency.id),
    template: stack.template as Record<string, unknown>,
  }));
}

describe("the synthesized templates", () => {
  const variants: Record<string, SynthesizedStack[]> = {};
  beforeAll(() => {
    // GIVEN the template's config, and the same with every app on EC2
    // WHEN the whole CDK app is synthesized, as `cdk synth` does
    variants.default = synthesize(defaultRepo());
    variants.ec2 = synthesize(ec2Repo());
  });

  test.each(["default", "ec2"])(
    "%s: every intrinsic function sits where CloudFormation documents it",
    (variant) => {
      const stacks = variants[variant] ?? [];
      // (every stack of every AWS environment: the platform and one per app)
      expect(stacks.length).toBe(6);
      // THEN
      const problems = stacks.flatMap((stack) => undocumentedFunctions(stack.name, stack.template));
      expect(problems).toEqual([]);
    },
  );

  test.each(["default", "ec2"])(
    "%s: every import names an export of a stack it depends on, in its account and region",
    (variant) => {
      const stacks = variants[variant] ?? [];
      const problems: string[] = [];
      for (const stack of stacks) {
        for (const name of importedNames(stack.template)) {
          const exporter = stacks.find((other) => exportNames(other.template).includes(name));
          if (!exporter) problems.push(`${stack.name} imports ${name}, which no stack exports`);
          else if (
            exporter.account !== stack.account ||
            exporter.region !== stack.region ||
            !stack.dependencies.includes(exporter.name)
          )
            problems.push(
              `${stack.name} imports ${name} from ${exporter.name} without depending on it in its account and region`,
            );
        }
      }
      expect(problems).toEqual([]);
      // AND the app stacks do import (the platform's values reach them through exports)
      const appStacks = stacks.filter((stack) => stack.name.includes("-app-"));
      for (const stack of appStacks)
        expect(importedNames(stack.template).length).toBeGreaterThan(0);
    },
  );
});

describe("the intrinsic function tables", () => {
  const resources = {
    Thing: { Type: "AWS::SNS::Topic" },
  };
  const parameters = { Name: { Type: "String" } };
  const conditions = { IsProd: { "Fn::Equals": [{ Ref: "Name" }, "prod"] } };
  const withProperty = (value: unknown, extra: Record<string, unknown> = {}) => ({
    Parameters: parameters,
    Conditions: conditions,
    Resources: {
      ...resources,
      Subject: { Type: "AWS::SNS::Topic", Properties: { TopicName: value } },
    },
    ...extra,
  });

  test.each<[string, unknown, RegExp]>([
    [
      "a weak reference (Fn::GetStackOutput) anywhere",
      { "Fn::GetStackOutput": { StackName: "other", OutputName: "Out" } },
      /Fn::GetStackOutput is not an intrinsic function this platform may use/,
    ],
    [
      "a weak reference inside Fn::Split",
      {
        "Fn::Select": [
          0,
          { "Fn::Split": ["/", { "Fn::GetStackOutput": { StackName: "o", OutputName: "O" } }] },
        ],
      },
      /Properties\.TopicName\.Fn::Select\[1\]\.Fn::Split\[1\]\.Fn::GetStackOutput: Fn::GetStackOutput is not/,
    ],
    [
      "Fn::ImportValue straight in the list of Fn::Select",
      { "Fn::Select": [0, { "Fn::ImportValue": "Exported" }] },
      /Fn::ImportValue is not allowed in the list of objects of Fn::Select: CloudFormation documents Fn::FindInMap, Fn::GetAtt, Fn::GetAZs, Fn::If, Fn::Split, Ref there \(https:\/\/docs\.aws\.amazon\.com\/AWSCloudFormation\/latest\/TemplateReference\/intrinsic-function-reference-select\.html\)/,
    ],
    [
      "Fn::ImportValue of a name that depends on a resource",
      { "Fn::ImportValue": { "Fn::Join": ["-", [{ Ref: "Thing" }, "x"]] } },
      /Ref Thing depends on a resource, which the name of Fn::ImportValue may not/,
    ],
    [
      "a function as the delimiter of Fn::Join",
      { "Fn::Join": [{ Ref: "Name" }, ["a", "b"]] },
      /the delimiter of Fn::Join must be a literal/,
    ],
    [
      "Fn::Length without the language extensions transform",
      { "Fn::Length": [1, 2] },
      /Fn::Length is not an intrinsic function this platform may use/,
    ],
    [
      "Ref AWS::NoValue outside Fn::If",
      { Ref: "AWS::NoValue" },
      /Ref AWS::NoValue is documented only as a value of Fn::If/,
    ],
    [
      "Fn::If naming no condition",
      { "Fn::If": ["Missing", "a", "b"] },
      /names no condition of the template: Missing/,
    ],
    [
      "Fn::Split in a value of Fn::If",
      { "Fn::If": ["IsProd", { "Fn::Split": [",", "a,b"] }, "b"] },
      /Fn::Split is not allowed in a value of Fn::If/,
    ],
    [
      "Fn::GetAtt of a resource the template lacks",
      { "Fn::GetAtt": ["Nothing", "Arn"] },
      /names no resource of the template: Nothing/,
    ],
  ])("refuses %s", (_name, value, message) => {
    // GIVEN a template with the value as a property WHEN walked THEN
    const problems = undocumentedFunctions("S", withProperty(value));
    expect(problems.join("\n")).toMatch(message);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    [
      "Fn::If in the Conditions section",
      { Conditions: { ...conditions, Bad: { "Fn::If": ["IsProd", true, false] } } },
      /Conditions\.Bad\.Fn::If: Fn::If is not allowed in a condition of the Conditions section/,
    ],
    [
      "a condition that compares a resource",
      { Conditions: { ...conditions, Bad: { "Fn::Equals": [{ Ref: "Thing" }, "x"] } } },
      /Ref Thing depends on a resource, which a condition function/,
    ],
    [
      "an export name that depends on a resource",
      { Outputs: { Out: { Value: "v", Export: { Name: { "Fn::Sub": "${Thing}-out" } } } } },
      /\$\{Thing\} depends on a resource, which the Name of an output's Export may not/,
    ],
  ])("refuses %s", (_name, extra, message) => {
    const problems = undocumentedFunctions("S", withProperty("plain", extra));
    expect(problems.join("\n")).toMatch(message);
  });

  test.each<[string, unknown]>([
    ["a literal", "topic"],
    [
      "Fn::ImportValue split and selected",
      { "Fn::Select": [1, { "Fn::Split": ["/", { "Fn::ImportValue": "E" }] }] },
    ],
    ["Fn::If with AWS::NoValue", { "Fn::If": ["IsProd", 0, { Ref: "AWS::NoValue" }] }],
    [
      "Fn::Join of references",
      { "Fn::Join": ["", ["a", { Ref: "Name" }, { "Fn::GetAtt": ["Thing", "TopicName"] }]] },
    ],
    [
      "Fn::Sub with a variable map",
      { "Fn::Sub": ["${A}-${AWS::Region}-${Thing.TopicName}", { A: { Ref: "Name" } }] },
    ],
  ])("accepts %s", (_name, value) => {
    expect(undocumentedFunctions("S", withProperty(value))).toEqual([]);
  });
});
