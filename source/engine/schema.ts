// One zod schema for recipe files and the troubleshooting catalogue: the TypeScript types, the runtime
// validation and the JSON Schema for editors (dist/recipe.schema.json) all come from here.
import {writeFileSync} from 'node:fs';
import {z} from 'zod';

const identifier = z
	.string()
	.regex(/^[a-z][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" and "_", starting with a letter');

/** A command: a string split into words like a shell would (no expansion), an argv list, or a real shell script. */
export const CommandSchema = z.union([
	z.string().min(1),
	z.array(z.string()).min(1),
	z
		.object({
			argv: z.array(z.string()).min(1).describe('Program and arguments; ${var} inside an element is replaced, never re-split.'),
			sudo: z.boolean().optional().describe('Run through `sudo -n` unless already root.'),
		})
		.strict(),
	z
		.object({
			sh: z
				.string()
				.min(1)
				.describe('A shell script, for pipelines. Recipe variables reach it as environment variables, never as text.'),
			sudo: z.boolean().optional(),
		})
		.strict(),
]);
export type CommandSpec = z.infer<typeof CommandSchema>;

const commandList = z.union([z.string().min(1), z.array(CommandSchema)]);

export const CapabilitySchema = z.enum(['network', 'sudo', 'long', 'device-write']);
export type Capability = z.infer<typeof CapabilitySchema>;

const switchDefault = z
	.object({
		by: identifier.describe('The variable whose value picks the default.'),
		values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
	})
	.strict();

export const VariableSchema = z
	.object({
		type: z.enum(['string', 'enum', 'int', 'bool', 'path']).default('string'),
		description: z.string().optional(),
		values: z.array(z.string()).min(1).optional().describe('Allowed values (type enum).'),
		default: z.union([z.string(), z.number(), z.boolean(), switchDefault]).optional(),
		min: z.number().int().optional(),
		max: z.number().int().optional(),
		pattern: z.string().optional().describe('A regular expression the value must match.'),
	})
	.strict()
	.superRefine((variable, context) => {
		if (variable.type === 'enum' && !variable.values) {
			context.addIssue({code: 'custom', message: 'an enum variable needs "values"', path: ['values']});
		}
		if (variable.pattern) {
			try {
				new RegExp(variable.pattern);
			} catch (error) {
				context.addIssue({code: 'custom', message: `invalid pattern: ${(error as Error).message}`, path: ['pattern']});
			}
		}
	});
export type VariableSpec = z.infer<typeof VariableSchema>;

const regexString = z.string().superRefine((value, context) => {
	try {
		new RegExp(value, 'm');
	} catch (error) {
		context.addIssue({code: 'custom', message: `invalid regular expression: ${(error as Error).message}`});
	}
});

/** The stages of the journey, in order: where a log comes from and where a known failure shows. */
export const journeyStages = ['host', 'sync', 'configure', 'build', 'boot', 'guest'] as const;
export const StageSchema = z.enum(journeyStages);
export type JourneyStage = z.infer<typeof StageSchema>;

export const TroubleshootSchema = z
	.object({
		id: identifier,
		title: z.string().min(1),
		match: z
			.object({
				output: regexString.optional().describe('Regular expression matched against the output (case-insensitive).'),
				exitCode: z.number().int().optional(),
				step: z.string().optional().describe('Only for this step id (short or recipe.step).'),
				check: z.string().optional().describe('A failed doctor check id.'),
			})
			.strict()
			.refine((match) => match.output !== undefined || match.exitCode !== undefined || match.check !== undefined, {
				message: 'a match needs "output", "exitCode" or "check"',
			}),
		cause: z.string().min(1),
		explanation: z.string().optional(),
		fix: z
			.object({
				description: z.string().min(1),
				run: commandList.optional(),
				capabilities: z.array(CapabilitySchema).optional(),
			})
			.strict()
			.optional(),
		recheck: z
			.object({
				run: commandList.optional().describe('Commands that must succeed after the fix.'),
				step: z.boolean().optional().describe('Re-run the failed step (the default).'),
			})
			.strict()
			.optional(),
		confidence: z.enum(['high', 'medium', 'low']).default('high'),
		severity: z
			.enum(['info', 'warning', 'error'])
			.default('error')
			.describe('info: seen in healthy runs too, a note and never the cause of a failure.'),
		stage: StageSchema.optional().describe(
			'Where in the journey the failure shows (default: the stage of the step the entry belongs to); `sel4-llm diagnose` ranks by it.',
		),
		source: z
			.url({protocol: /^https$/})
			.optional()
			.describe('Public report of this failure (an issue, a mailing-list thread, the upstream source that prints it).'),
	})
	.strict();
export type TroubleshootEntry = z.infer<typeof TroubleshootSchema>;

const conditionValue = z.union([z.string(), z.boolean(), z.number(), z.array(z.union([z.string(), z.boolean(), z.number()]))]);

export const PreconditionSchema = z
	.object({
		run: CommandSchema.optional(),
		exists: z.string().optional(),
		message: z.string().min(1),
	})
	.strict()
	.refine((pre) => (pre.run === undefined) !== (pre.exists === undefined), {
		message: 'a precondition needs exactly one of "run" or "exists"',
	});

export const StepSchema = z
	.object({
		title: z.string().min(1),
		description: z.string().optional(),
		needs: z.array(z.string()).optional().describe('Steps that must run (or be up to date) first; running this step runs them.'),
		after: z
			.array(z.string())
			.optional()
			.describe('Ordering only: when these steps are part of the same run, they go first; they are not pulled in.'),
		cwd: z.string().optional(),
		env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
		run: commandList,
		status: commandList.optional().describe('All exit 0 => up to date, the step is skipped.'),
		sources: z.array(z.string()).optional().describe('Files (globs) whose contents are part of the fingerprint.'),
		generates: z.array(z.string()).optional().describe('Files (globs) the step writes; missing ones mean it must run.'),
		preconditions: z.array(PreconditionSchema).optional(),
		if: z.record(identifier, conditionValue).optional().describe('Run only when every variable has one of these values.'),
		capabilities: z.array(CapabilitySchema).optional(),
		artifacts: z.record(z.string(), z.string()).optional(),
		troubleshoot: z.array(TroubleshootSchema).optional(),
		defer: commandList.optional().describe('Runs after the step, whether it succeeded or not.'),
		timeout: z.number().positive().optional().describe('Seconds before the step is stopped.'),
		estimate: z
			.object({minutes: z.number().nonnegative().optional(), disk_mb: z.number().nonnegative().optional()})
			.strict()
			.optional(),
	})
	.strict();
export type StepSpec = z.infer<typeof StepSchema>;

/** The recipe and catalogue format versions this sel4-llm reads. */
export const formatVersions = {min: 1, max: 1} as const;
const range = formatVersions.min === formatVersions.max ? `${formatVersions.min}` : `${formatVersions.min} to ${formatVersions.max}`;
const formatVersion = z
	.int(`the format version is a whole number (this sel4-llm reads ${range})`)
	.min(formatVersions.min, `this sel4-llm reads format version ${range}`)
	.max(formatVersions.max, `this sel4-llm reads format version ${range}; a newer format needs a newer sel4-llm (npm install -g sel4-llm@latest)`)
	.describe(`Format version (${range}).`);

export const RecipeSchema = z
	.object({
		version: formatVersion,
		id: identifier,
		title: z.string().min(1),
		description: z.string().optional(),
		vars: z.record(identifier, VariableSchema).optional(),
		steps: z.record(identifier, StepSchema),
		drop: z
			.array(identifier)
			.optional()
			.describe('Steps of an earlier recipe with the same id to remove (in a --recipes layer over the built-in recipes).'),
	})
	.strict();
export type RecipeSpec = z.infer<typeof RecipeSchema>;

export const CatalogueSchema = z
	.object({
		version: formatVersion,
		entries: z.array(TroubleshootSchema),
	})
	.strict();
export type CatalogueSpec = z.infer<typeof CatalogueSchema>;

export function recipeJsonSchema(): unknown {
	return {
		$schema: 'https://json-schema.org/draft/2020-12/schema',
		title: 'sel4-llm recipe',
		...(z.toJSONSchema(RecipeSchema, {io: 'input', unrepresentable: 'any'}) as object),
	};
}

export function writeJsonSchema(path: string): void {
	writeFileSync(path, `${JSON.stringify(recipeJsonSchema(), null, '\t')}\n`);
}
