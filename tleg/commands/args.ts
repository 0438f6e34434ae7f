// Flag parsing and the checks every command runs on its paths before reading or writing anything.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fail } from './cli-error.js';

type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * parseArgs reads `--depth -2` as two options and says "argument is ambiguous"; a negative number after a
 * string flag is joined to it (`--depth=-2`) so that the flag's own range check names what came.
 */
export function joinNegativeValues(argv: readonly string[], stringFlags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!, next = argv[i + 1];
    if (arg === '--') return [...out, ...argv.slice(i)];
    if (arg.startsWith('--') && !arg.includes('=') && stringFlags.includes(arg.slice(2)) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** parseArgs in strict mode; every error names the command and points at its --help. */
export function parseCommand(command: string, argv: string[], flags: FlagSpec): Parsed {
  try {
    const strings = Object.keys(flags).filter((k) => flags[k]!.type === 'string');
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(argv, strings), strict: true, allowPositionals: true, options: { ...flags, help: { type: 'boolean', short: 'h' } },
    });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    return fail(`${command}: ${(e as Error).message} (see tleg ${command} --help)`);
  }
}

/** Exactly one positional argument: the input file. */
export function onePositional(command: string, what: string, positionals: string[]): string {
  if (positionals.length !== 1) {
    fail(`${command}: expected one ${what} file, got ${positionals.length === 0 ? 'none' : `${positionals.length}: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`} (see tleg ${command} --help)`);
  }
  return positionals[0];
}

/** A decimal integer in [min, max], written plainly (no sign, exponent, fraction or spaces). */
export function integerFlag(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    fail(`${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

export function requiredString(command: string, values: Parsed['values'], flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') fail(`${command}: --${flag} is required (see tleg ${command} --help)`);
  return v;
}

/** An existing regular file. */
export function checkInputFile(command: string, path: string): void {
  if (!existsSync(path)) fail(`${command}: no such file ${JSON.stringify(path)}`);
  if (!statSync(path).isFile()) fail(`${command}: expected a file, ${JSON.stringify(path)} is a directory or not a regular file`);
}

/** Where a new file may go: not a directory, in an existing directory, and not over the input. */
export function checkOutputPath(command: string, out: string, input: string): void {
  if (out.endsWith('/') || (existsSync(out) && statSync(out).isDirectory())) {
    fail(`${command}: --out must name a file, ${JSON.stringify(out)} is a directory (e.g. ${JSON.stringify(`${out.replace(/\/+$/, '')}/name.safetensors`)})`);
  }
  if (existsSync(out) && !statSync(out).isFile()) fail(`${command}: --out ${JSON.stringify(out)} exists and is not a regular file`);
  const dir = dirname(resolve(out));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`${command}: --out ${JSON.stringify(out)}: directory ${JSON.stringify(dir)} does not exist`);
  if (resolve(out) === resolve(input)) fail(`${command}: --out ${JSON.stringify(out)} is the input file; write the result to another path`);
}
