#!/usr/bin/env node
/**
 * `npm run twin -- <command> …`: the CLI entry. Each capability declares its
 * subcommands (`cli` in its index.ts); this looks the command up in the
 * registry. Without a known command it prints every command's usage (exit 2).
 */
import { CLI_COMMANDS } from '../platform/registry.js';

async function main(): Promise<number> {
  const command = CLI_COMMANDS.get(process.argv[2] ?? '');
  if (!command) {
    console.error(`usage: ${[...CLI_COMMANDS.values()].map((c) => c.usage).join('\n       ')}`);
    return 2;
  }
  return command.run(process.argv.slice(3));
}

main().then((code) => process.exit(code));
