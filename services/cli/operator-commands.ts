/**
 * The `meso` client commands, registered on the root command by `services/cmd/meso.ts`:
 * `cluster`, `agents`, `frameworks`, `tasks`, `task logs`, `kill`, `deactivate`, `drain`, `reactivate`,
 * `weights`, `quota` and `completion`. They talk to the v1 operator API; see `docs/operator.md`.
 */
import type { Command } from 'commander';
import { addAgentCommands } from './agent-commands.js';
import { addClusterCommands } from './cluster-commands.js';
import { addCompletionCommand } from './completion.js';
import { addPolicyCommands } from './policy-commands.js';
import { addTaskCommands } from './task-commands.js';

export function addOperatorCommands(program: Command): void {
  addClusterCommands(program);
  addTaskCommands(program);
  addAgentCommands(program);
  addPolicyCommands(program);
  addCompletionCommand(program);
}
