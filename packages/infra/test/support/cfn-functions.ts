// Where CloudFormation documents each intrinsic function as allowed, as data, and a walker that
// reports every function of a template used anywhere else. CloudFormation rejects some misplaced
// functions only when a stack is created or updated, and accepts others without saying what they
// resolve to; neither shows at synth. The tables are the "Supported functions" sections of the
// intrinsic function reference of the CloudFormation Template Reference Guide, one page per
// function (cited per entry, under
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/). A function a page does
// not list for a position fails here even if CloudFormation happens to accept it today: what is
// not documented can change without notice. A function that is not in the tables at all fails
// too (for example Fn::GetStackOutput, which no other function's page lists as an argument, or
// Fn::Length and Fn::ToJsonString, which need the AWS::LanguageExtensions transform).

const DOCS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference";

/** The pseudo parameters Ref accepts besides the template's parameters and resources. */
const PSEUDO_PARAMETERS = new Set([
  "AWS::AccountId",
  "AWS::NotificationARNs",
  "AWS::NoValue",
  "AWS::Partition",
  "AWS::Region",
  "AWS::StackId",
  "AWS::StackName",
  "AWS::URLSuffix",
]);

/** The functions allowed in one position, and the page that says so. */
interface Position {
  /** What the position is, for messages: "the list of values of Fn::Join". */
  readonly name: string;
  readonly allowed: ReadonlySet<string>;
  readonly page: string;
  /** Ref and Fn::GetAtt may not point at a resource here (Fn::ImportValue, export names, conditions). */
  readonly noResources?: boolean;
  /** The enclosing position that forbids resources, when it is not this one. */
  readonly restrictedBy?: Position;
}

const set = (...names: string[]) => new Set(names);

const NO_FUNCTIONS = set();

/**
 * What a resource property, a resource's Metadata or UpdatePolicy, or an output value may be:
 * any value function, and Fn::If ("Fn::If ... in the metadata attribute, update policy attribute,
 * and property values in the Resources section and Outputs sections", condition functions page).
 */
const VALUE_FUNCTIONS = set(
  "Fn::Base64",
  "Fn::Cidr",
  "Fn::FindInMap",
  "Fn::GetAtt",
  "Fn::GetAZs",
  "Fn::If",
  "Fn::ImportValue",
  "Fn::Join",
  "Fn::Select",
  "Fn::Split",
  "Fn::Sub",
  "Ref",
);

/** Functions that return a string, which is what Fn::Base64 accepts ("any function that returns a string"). */
const STRING_FUNCTIONS = set(
  "Fn::Base64",
  "Fn::FindInMap",
  "Fn::GetAtt",
  "Fn::If",
  "Fn::ImportValue",
  "Fn::Join",
  "Fn::Select",
  "Fn::Sub",
  "Ref",
);

const POSITIONS = {
  value: {
    name: "a property or output value",
    allowed: VALUE_FUNCTIONS,
    page: `${DOCS}/intrinsic-function-reference.html`,
  },
  base64: {
    name: "the value of Fn::Base64",
    allowed: STRING_FUNCTIONS,
    page: `${DOCS}/intrinsic-function-reference-base64.html`,
  },
  cidr: {
    name: "an argument of Fn::Cidr",
    allowed: set("Fn::Select", "Ref"),
    page: `${DOCS}/intrinsic-function-reference-cidr.html`,
  },
  findInMap: {
    name: "an argument of Fn::FindInMap",
    allowed: set("Fn::FindInMap", "Ref"),
    page: `${DOCS}/intrinsic-function-reference-findinmap.html`,
  },
  getAttName: {
    name: "the attribute name of Fn::GetAtt",
    allowed: set("Ref"),
    page: `${DOCS}/intrinsic-function-reference-getatt.html`,
  },
  getAZs: {
    name: "the region of Fn::GetAZs",
    allowed: set("Ref"),
    page: `${DOCS}/intrinsic-function-reference-getavailabilityzones.html`,
  },
  ifValue: {
    name: "a value of Fn::If",
    allowed: set(
      "Fn::Base64",
      "Fn::FindInMap",
      "Fn::GetAtt",
      "Fn::GetAZs",
      "Fn::If",
      "Fn::Join",
      "Fn::Select",
      "Fn::Sub",
      "Ref",
    ),
    page: `${DOCS}/intrinsic-function-reference-conditions.html`,
  },
  importValue: {
    name: "the name of Fn::ImportValue",
    allowed: set(
      "Fn::Base64",
      "Fn::FindInMap",
      "Fn::If",
      "Fn::Join",
      "Fn::Select",
      "Fn::Split",
      "Fn::Sub",
      "Ref",
    ),
    page: `${DOCS}/intrinsic-function-reference-importvalue.html`,
    noResources: true,
  },
  exportName: {
    name: "the Name of an output's Export",
    allowed: set(
      "Fn::Base64",
      "Fn::FindInMap",
      "Fn::If",
      "Fn::Join",
      "Fn::Select",
      "Fn::Sub",
      "Ref",
    ),
    page: `${DOCS}/outputs-section-structure.html`,
    noResources: true,
  },
  joinList: {
    name: "the list of values of Fn::Join",
    allowed: set(
      "Fn::Base64",
      "Fn::FindInMap",
      "Fn::GetAtt",
      "Fn::GetAZs",
      "Fn::If",
      "Fn::ImportValue",
      "Fn::Join",
      "Fn::Split",
      "Fn::Select",
      "Fn::Sub",
      "Ref",
    ),
    page: `${DOCS}/intrinsic-function-reference-join.html`,
  },
  selectIndex: {
    name: "the index of Fn::Select",
    allowed: set("Fn::FindInMap", "Ref"),
    page: `${DOCS}/intrinsic-function-reference-select.html`,
  },
  selectList: {
    name: "the list of objects of Fn::Select",
    allowed: set("Fn::FindInMap", "Fn::GetAtt", "Fn::GetAZs", "Fn::If", "Fn::Split", "Ref"),
    page: `${DOCS}/intrinsic-function-reference-select.html`,
  },
  splitSource: {
    name: "the source string of Fn::Split",
    allowed: set(
      "Fn::Base64",
      "Fn::FindInMap",
      "Fn::GetAtt",
      "Fn::GetAZs",
      "Fn::If",
      "Fn::ImportValue",
      "Fn::Join",
      "Fn::Select",
      "Fn::Sub",
      "Ref",
    ),
    page: `${DOCS}/intrinsic-function-reference-split.html`,
  },
  subVariable: {
    name: "a variable value of Fn::Sub",
    allowed: set(
      "Fn::Base64",
      "Fn::FindInMap",
      "Fn::GetAtt",
      "Fn::GetAZs",
      "Fn::If",
      "Fn::ImportValue",
      "Fn::Join",
      "Fn::Select",
      "Ref",
    ),
    page: `${DOCS}/intrinsic-function-reference-sub.html`,
  },
  condition: {
    name: "a condition function (Fn::Equals, Fn::And, Fn::Or, Fn::Not)",
    // "Fn::FindInMap, Ref, other condition functions"; Condition names another condition.
    allowed: set("Fn::FindInMap", "Ref", "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition"),
    page: `${DOCS}/intrinsic-function-reference-conditions.html`,
    noResources: true,
  },
  conditionTop: {
    name: "a condition of the Conditions section",
    allowed: set("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition"),
    page: `${DOCS}/conditions-section-structure.html`,
    noResources: true,
  },
  rule: {
    name: "a rule condition or assertion",
    // "You can use the following functions within all other rule-specific intrinsic functions:
    // Ref, other rule-specific intrinsic functions" (Fn::ValueOf and Fn::ValueOfAll take none).
    allowed: set(
      "Ref",
      "Fn::And",
      "Fn::Contains",
      "Fn::EachMemberEquals",
      "Fn::EachMemberIn",
      "Fn::Equals",
      "Fn::Not",
      "Fn::Or",
      "Fn::RefAll",
      "Fn::ValueOf",
      "Fn::ValueOfAll",
    ),
    page: `${DOCS}/rules-section-structure.html`,
    noResources: true,
  },
  literal: {
    name: "a literal",
    allowed: NO_FUNCTIONS,
    page: `${DOCS}/intrinsic-function-reference.html`,
  },
} satisfies Record<string, Position>;

/** The parts of a template the walker checks references against. */
interface TemplateIndex {
  readonly parameters: ReadonlySet<string>;
  readonly resources: ReadonlySet<string>;
  readonly conditions: ReadonlySet<string>;
  readonly mappings: ReadonlySet<string>;
}

interface Template {
  Parameters?: Record<string, unknown>;
  Mappings?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
  Rules?: Record<string, { RuleCondition?: unknown; Assertions?: Array<Record<string, unknown>> }>;
  Resources?: Record<string, Record<string, unknown>>;
  Outputs?: Record<string, Record<string, unknown>>;
}

/** A single-key object whose key names a function ("Ref", "Fn::...", or "Condition" in conditions). */
function functionOf(
  value: unknown,
  conditionContext: boolean,
): { name: string; args: unknown } | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [name] = keys as [string];
  const isFunction =
    name === "Ref" || name.startsWith("Fn::") || (conditionContext && name === "Condition");
  return isFunction ? { name, args: (value as Record<string, unknown>)[name] } : undefined;
}

class Walker {
  readonly problems: string[] = [];

  constructor(
    private readonly stack: string,
    private readonly index: TemplateIndex,
  ) {}

  private report(path: string, message: string): void {
    this.problems.push(`${this.stack}: ${path}: ${message}`);
  }

  /**
   * A value in `position`: a literal, a plain object or array (whose members sit in the same
   * position), or a function allowed there, whose arguments are checked in turn.
   */
  value(value: unknown, path: string, position: Position): void {
    const conditionContext =
      position === POSITIONS.condition || position === POSITIONS.conditionTop;
    const fn = functionOf(value, conditionContext);
    if (!fn) {
      if (position === POSITIONS.conditionTop) {
        this.report(path, `is not a condition function (${position.page})`);
        return;
      }
      if (Array.isArray(value))
        for (const [i, item] of value.entries()) this.value(item, `${path}[${i}]`, position);
      else if (typeof value === "object" && value !== null) {
        for (const [key, member] of Object.entries(value))
          this.value(member, `${path}.${key}`, position);
      }
      return;
    }
    const where = `${path}.${fn.name}`;
    if (!KNOWN.has(fn.name)) {
      this.report(
        where,
        `${fn.name} is not an intrinsic function this platform may use: no page of the CloudFormation intrinsic function reference lists it where it is used (${position.page})`,
      );
      return;
    }
    if (!position.allowed.has(fn.name)) {
      const allowed = [...position.allowed].join(", ") || "no function";
      this.report(
        where,
        `${fn.name} is not allowed in ${position.name}: CloudFormation documents ${allowed} there (${position.page})`,
      );
      return;
    }
    this.arguments(fn.name, fn.args, where, position);
  }

  private literal(value: unknown, path: string, what: string): boolean {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      return true;
    this.report(path, `${what} must be a literal, not ${JSON.stringify(value)}`);
    return false;
  }

  private list(args: unknown, count: number, path: string, name: string): unknown[] | undefined {
    if (Array.isArray(args) && args.length === count) return args;
    this.report(path, `${name} takes a list of ${count} arguments, not ${JSON.stringify(args)}`);
    return undefined;
  }

  /** A list argument: an array whose members sit in `position`, or a function that returns one. */
  private listValue(value: unknown, path: string, position: Position): void {
    if (Array.isArray(value))
      for (const [i, item] of value.entries()) this.value(item, `${path}[${i}]`, position);
    else this.value(value, path, position);
  }

  private arguments(name: string, args: unknown, path: string, outer: Position): void {
    const noResources = outer.noResources === true;
    const restriction = outer.restrictedBy ?? outer;
    // Inside a position that may not depend on resources, arguments may not either.
    const inner = (position: Position): Position =>
      noResources && !position.noResources
        ? { ...position, noResources: true, restrictedBy: restriction }
        : position;
    switch (name) {
      case "Ref":
        this.ref(args, path, outer);
        return;
      case "Condition":
        if (
          this.literal(args, path, "the condition name") &&
          !this.index.conditions.has(String(args))
        )
          this.report(path, `names no condition of the template: ${String(args)}`);
        return;
      case "Fn::GetAtt": {
        const parts = typeof args === "string" ? args.split(/\.(.*)/s).slice(0, 2) : args;
        const list = this.list(parts, 2, path, name);
        if (!list) return;
        if (noResources)
          this.report(
            path,
            `Fn::GetAtt depends on a resource, which ${restriction.name} may not (${restriction.page})`,
          );
        if (
          this.literal(list[0], `${path}[0]`, "the logical name of Fn::GetAtt") &&
          !this.index.resources.has(String(list[0]))
        )
          this.report(path, `names no resource of the template: ${String(list[0])}`);
        this.value(list[1], `${path}[1]`, inner(POSITIONS.getAttName));
        return;
      }
      case "Fn::Base64":
        this.value(args, path, inner(POSITIONS.base64));
        return;
      case "Fn::Cidr": {
        const list = this.list(args, 3, path, name);
        if (list)
          for (const [i, arg] of list.entries())
            this.value(arg, `${path}[${i}]`, inner(POSITIONS.cidr));
        return;
      }
      case "Fn::FindInMap": {
        const list = this.list(args, 3, path, name);
        if (!list) return;
        if (typeof list[0] === "string" && !this.index.mappings.has(list[0]))
          this.report(path, `names no mapping of the template: ${list[0]}`);
        for (const [i, arg] of list.entries())
          this.value(arg, `${path}[${i}]`, inner(POSITIONS.findInMap));
        return;
      }
      case "Fn::GetAZs":
        this.value(args, path, inner(POSITIONS.getAZs));
        return;
      case "Fn::If": {
        const list = this.list(args, 3, path, name);
        if (!list) return;
        if (
          this.literal(list[0], `${path}[0]`, "the condition name of Fn::If") &&
          !this.index.conditions.has(String(list[0]))
        )
          this.report(path, `names no condition of the template: ${String(list[0])}`);
        for (const i of [1, 2]) {
          // AWS::NoValue "as a return value to remove the corresponding property" (Fn::If).
          const branch = list[i];
          const fn = functionOf(branch, false);
          if (fn?.name === "Ref" && fn.args === "AWS::NoValue") continue;
          this.value(branch, `${path}[${i}]`, inner(POSITIONS.ifValue));
        }
        return;
      }
      case "Fn::ImportValue":
        this.value(args, path, POSITIONS.importValue);
        return;
      case "Fn::Join": {
        const list = this.list(args, 2, path, name);
        if (!list) return;
        this.literal(list[0], `${path}[0]`, "the delimiter of Fn::Join");
        this.listValue(list[1], `${path}[1]`, inner(POSITIONS.joinList));
        return;
      }
      case "Fn::Select": {
        const list = this.list(args, 2, path, name);
        if (!list) return;
        this.value(list[0], `${path}[0]`, inner(POSITIONS.selectIndex));
        this.listValue(list[1], `${path}[1]`, inner(POSITIONS.selectList));
        return;
      }
      case "Fn::Split": {
        const list = this.list(args, 2, path, name);
        if (!list) return;
        this.literal(list[0], `${path}[0]`, "the delimiter of Fn::Split");
        this.value(list[1], `${path}[1]`, inner(POSITIONS.splitSource));
        return;
      }
      case "Fn::Sub": {
        const [text, variables] = Array.isArray(args) ? args : [args, {}];
        if (!this.literal(text, `${path}[0]`, "the string of Fn::Sub")) return;
        const names = new Set(Object.keys((variables ?? {}) as object));
        for (const match of String(text).matchAll(/\$\{(?!!)([^}]+)\}/g)) {
          const variable = (match[1] as string).trim();
          if (
            names.has(variable) ||
            PSEUDO_PARAMETERS.has(variable) ||
            this.index.parameters.has(variable)
          )
            continue;
          const resource = variable.split(".")[0] as string;
          if (this.index.resources.has(resource)) {
            if (noResources)
              this.report(
                path,
                `\${${variable}} depends on a resource, which ${restriction.name} may not (${restriction.page})`,
              );
            continue;
          }
          this.report(path, `\${${variable}} names nothing of the template`);
        }
        for (const [key, member] of Object.entries((variables ?? {}) as Record<string, unknown>))
          this.value(member, `${path}.${key}`, inner(POSITIONS.subVariable));
        return;
      }
      case "Fn::Equals":
      case "Fn::And":
      case "Fn::Or":
      case "Fn::Not": {
        const position = outer === POSITIONS.rule ? POSITIONS.rule : POSITIONS.condition;
        if (!Array.isArray(args)) {
          this.report(path, `${name} takes a list`);
          return;
        }
        for (const [i, arg] of args.entries()) this.value(arg, `${path}[${i}]`, position);
        return;
      }
      case "Fn::Contains":
      case "Fn::EachMemberEquals":
      case "Fn::EachMemberIn":
        if (!Array.isArray(args)) {
          this.report(path, `${name} takes a list`);
          return;
        }
        for (const [i, arg] of args.entries()) this.listValue(arg, `${path}[${i}]`, POSITIONS.rule);
        return;
      case "Fn::RefAll":
        this.literal(args, path, "the parameter type of Fn::RefAll");
        return;
      case "Fn::ValueOf":
      case "Fn::ValueOfAll":
        // "You cannot use another function within the Fn::ValueOf and Fn::ValueOfAll functions."
        this.listValue(args, path, POSITIONS.literal);
        return;
      default:
        this.report(path, `internal: no argument rules for ${name}`);
    }
  }

  private ref(args: unknown, path: string, position: Position): void {
    if (typeof args !== "string") {
      this.report(
        path,
        `Ref takes the literal name of a parameter, resource or pseudo parameter, not ${JSON.stringify(args)} (${DOCS}/intrinsic-function-reference-ref.html)`,
      );
      return;
    }
    if (args === "AWS::NoValue") {
      this.report(
        path,
        `Ref AWS::NoValue is documented only as a value of Fn::If (${POSITIONS.ifValue.page})`,
      );
      return;
    }
    if (PSEUDO_PARAMETERS.has(args) || this.index.parameters.has(args)) return;
    if (!this.index.resources.has(args)) {
      this.report(path, `Ref names nothing of the template: ${args}`);
      return;
    }
    const restriction = position.restrictedBy ?? position;
    if (position.noResources)
      this.report(
        path,
        `Ref ${args} depends on a resource, which ${restriction.name} may not (${restriction.page})`,
      );
  }
}

/** Every function name the tables know, in any position. */
const KNOWN = new Set<string>(
  Object.values(POSITIONS as Record<string, Position>).flatMap((position) => [...position.allowed]),
);

/**
 * Every intrinsic function of `template` that CloudFormation does not document where it is used,
 * and every reference to something the template lacks, as `stack: path: message` lines.
 */
export function undocumentedFunctions(stack: string, template: Template): string[] {
  const index: TemplateIndex = {
    parameters: new Set(Object.keys(template.Parameters ?? {})),
    resources: new Set(Object.keys(template.Resources ?? {})),
    conditions: new Set(Object.keys(template.Conditions ?? {})),
    mappings: new Set(Object.keys(template.Mappings ?? {})),
  };
  const walker = new Walker(stack, index);
  // Parameters and Mappings hold literals only.
  for (const [name, parameter] of Object.entries(template.Parameters ?? {}))
    walker.value(parameter, `Parameters.${name}`, POSITIONS.literal);
  for (const [name, mapping] of Object.entries(template.Mappings ?? {}))
    walker.value(mapping, `Mappings.${name}`, POSITIONS.literal);
  for (const [name, condition] of Object.entries(template.Conditions ?? {}))
    walker.value(condition, `Conditions.${name}`, POSITIONS.conditionTop);
  for (const [name, rule] of Object.entries(template.Rules ?? {})) {
    if (rule.RuleCondition !== undefined)
      walker.value(rule.RuleCondition, `Rules.${name}.RuleCondition`, POSITIONS.rule);
    for (const [i, assertion] of (rule.Assertions ?? []).entries()) {
      walker.value(assertion.Assert, `Rules.${name}.Assertions[${i}].Assert`, POSITIONS.rule);
      walker.value(
        assertion.AssertDescription,
        `Rules.${name}.Assertions[${i}].AssertDescription`,
        POSITIONS.literal,
      );
    }
  }
  for (const [name, resource] of Object.entries(template.Resources ?? {})) {
    for (const [key, member] of Object.entries(resource)) {
      const path = `Resources.${name}.${key}`;
      if (["Properties", "Metadata", "UpdatePolicy", "CreationPolicy"].includes(key))
        walker.value(member, path, POSITIONS.value);
      else if (key === "Condition") {
        if (!index.conditions.has(String(member)))
          walker.problems.push(
            `${stack}: ${path}: names no condition of the template: ${String(member)}`,
          );
      } else walker.value(member, path, POSITIONS.literal);
    }
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    for (const [key, member] of Object.entries(output)) {
      const path = `Outputs.${name}.${key}`;
      if (key === "Value") walker.value(member, path, POSITIONS.value);
      else if (key === "Export")
        walker.value((member as { Name?: unknown }).Name, `${path}.Name`, POSITIONS.exportName);
      else if (key === "Condition") {
        if (!index.conditions.has(String(member)))
          walker.problems.push(
            `${stack}: ${path}: names no condition of the template: ${String(member)}`,
          );
      } else walker.value(member, path, POSITIONS.literal);
    }
  }
  return walker.problems;
}

/** The Export names a template declares. */
export function exportNames(template: Template): string[] {
  return Object.values(template.Outputs ?? {}).flatMap((output) => {
    const name = (output.Export as { Name?: unknown } | undefined)?.Name;
    return typeof name === "string" ? [name] : [];
  });
}

/** The literal names of every Fn::ImportValue in a template. */
export function importedNames(template: Template): string[] {
  const names: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (typeof value === "object" && value !== null) {
      for (const [key, member] of Object.entries(value)) {
        if (key === "Fn::ImportValue" && typeof member === "string") names.push(member);
        else visit(member);
      }
    }
  };
  visit(template.Resources);
  visit(template.Outputs);
  return names;
}
