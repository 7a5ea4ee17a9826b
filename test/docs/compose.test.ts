/**
 * docker-compose.yml is not run here (no Docker on the test machines), so this checks what can
 * go stale without it: every prunefi flag it passes or shows is a real option of its command.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { studyCommand } from '../../src/cli/commands/study.js';
import { workerCommand } from '../../src/cli/commands/worker.js';
import { REPO } from '../helpers/paths.js';

const compose = readFileSync(join(REPO, 'docker-compose.yml'), 'utf8');

function flags(text: string): string[] {
  return [...text.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!);
}

test("docker-compose.yml's worker command and its study example use real options", () => {
  const command = /command: \["worker", (.*)\]/.exec(compose)?.[1];
  assert.ok(command, 'docker-compose.yml has a worker service command');
  const worker = [...flags(command), ...flags(/--scale worker=\d+ worker|--stall-seconds/.exec(compose)![0])];
  for (const f of worker.filter((f) => f !== 'scale'))
    assert.ok(f in (workerCommand.options ?? {}), `prunefi worker has no --${f}`);
  const study = /prunefi study (.*\n.*)/.exec(compose)?.[1];
  assert.ok(study, 'docker-compose.yml shows a study command');
  for (const f of flags(study)) assert.ok(f in (studyCommand.options ?? {}), `prunefi study has no --${f}`);
});
