#!/usr/bin/env node
/**
 * `npm run twin -- <command> …`: the CLI entry. Each capability declares its
 * subcommands (`cli` in its index.ts); this looks the command up in the
 * registry. `--help` prints every command's usage (exit 0); an unknown or
 * missing command is named, with the usage (exit 2).
 */
import { CLI_COMMANDS } from '../platform/registry.js';

async function main(): Promise<number> {
  const name = process.argv[2] ?? '';
  const command = CLI_COMMANDS.get(name);
  if (!command) {
    const help = name === '--help' || name === '-h' || name === 'help';
    if (name && !help) console.error(`twin: unknown command ${name}`);
    (help ? console.log : console.error)(`usage: ${[...CLI_COMMANDS.values()].map((c) => c.usage).join('\n       ')}`);
    return help ? 0 : 2;
  }
  return command.run(process.argv.slice(3));
}

main().then((code) => process.exit(code));
