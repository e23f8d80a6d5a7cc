import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadAndValidate } from '../../src/launcher/validate.js';
import { repoRoot } from '../e2e/stack.js';

const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: process.env, cwd: repoRoot };

test('properties/local.properties is valid as shipped (run from the repository root)', () => {
  const { diagnostics } = loadAndValidate(join(repoRoot, 'properties', 'local.properties'), io);
  assert.deepEqual(diagnostics.filter((d) => d.level !== 'info'), []);
});

test('properties/aws.properties: valid but for the container path of the consumer', () => {
  const { parsed, diagnostics } = loadAndValidate(join(repoRoot, 'properties', 'aws.properties'), io);
  const problems = diagnostics.filter((d) => d.level !== 'info');
  assert.deepEqual(problems.map((d) => [d.level, d.key]), [['error', 'executableName']]);
  assert.match(problems[0]!.message, /\/app\/dist\/consumer\.js/);
  assert.equal(parsed?.entries.get('shutdownGraceMillis')?.value, '25000');
});

test('properties/dynamodb-streams.properties: valid but for the container path of the consumer', () => {
  const { parsed, diagnostics } = loadAndValidate(join(repoRoot, 'properties', 'dynamodb-streams.properties'), io);
  const problems = diagnostics.filter((d) => d.level !== 'info');
  assert.deepEqual(problems.map((d) => [d.level, d.key]), [['error', 'executableName']]);
  assert.match(problems[0]!.message, /\/app\/dist\/consumer\.js/);
  assert.equal(parsed?.entries.get('kcl-ts.source')?.value, 'dynamodb-streams');
  assert.match(parsed?.entries.get('streamArn')?.value ?? '', /^arn:aws:dynamodb:eu-west-1:\d{12}:table\/orders\/stream\//);
});
