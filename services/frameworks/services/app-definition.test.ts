import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { MesoError } from '../../core/errors.js';
import { needsNewVersion, parseAppDefinition } from './app-definition.js';

const invalid = (raw: unknown): string => {
  try {
    parseAppDefinition(raw);
  } catch (err) {
    assert.ok(err instanceof MesoError && err.code === 'INVALID_CALL');
    return err.message;
  }
  assert.fail('the definition was accepted');
};

describe('parseAppDefinition', () => {
  it('fills in defaults and reads YAML', () => {
    const spec = parseAppDefinition(
      parseYaml(`
id: web
cmd: ./serve --port $PORT0
instances: 3
ports: [http]
constraints: [[hostname, UNIQUE]]
healthChecks:
  - protocol: HTTP
    path: /health
`),
    );
    assert.equal(spec.cpus, 0.1);
    assert.deepEqual(spec.ports, [{ name: 'http' }]);
    assert.deepEqual(spec.constraints, [{ field: 'hostname', operator: 'UNIQUE' }]);
    assert.equal(spec.healthChecks[0]?.maxConsecutiveFailures, 3);
    assert.deepEqual(spec.upgradeStrategy, { minimumHealthCapacity: 1, maximumOverCapacity: 1 });
  });

  const cases: [string, unknown, RegExp][] = [
    ['a bad id', { id: 'Web App', cmd: 'x' }, /^Failed to validate app definition: id: /],
    ['no cmd or image', { id: 'web' }, /cmd: either cmd or image is required/],
    ['negative cpus', { id: 'web', cmd: 'x', cpus: -1 }, /cpus: Too small/],
    ['an unknown field', { id: 'web', cmd: 'x', cpu: 1 }, /Unrecognized key: "cpu"/],
    [
      'a constraint with a bad operator',
      { id: 'web', cmd: 'x', constraints: [['hostname', 'NEAR']] },
      /constraints\[0\]/,
    ],
    [
      'MAX_PER without a number',
      { id: 'web', cmd: 'x', constraints: [['rack', 'MAX_PER', 'x']] },
      /constraints\[0\]: MAX_PER takes a positive integer/,
    ],
    [
      'a health check without a port',
      { id: 'web', cmd: 'x', healthChecks: [{ protocol: 'TCP' }] },
      /healthChecks\[0\]\.portIndex/,
    ],
    [
      'a COMMAND check without a command',
      { id: 'web', cmd: 'x', healthChecks: [{ protocol: 'COMMAND' }] },
      /healthChecks\[0\]\.command/,
    ],
    [
      'a second COMMAND check',
      {
        id: 'web',
        cmd: 'x',
        healthChecks: [
          { protocol: 'COMMAND', command: 'true' },
          { protocol: 'COMMAND', command: 'true' },
        ],
      },
      /healthChecks\[1\]\.protocol: an app may have one COMMAND health check/,
    ],
    [
      'a capacity above 1',
      { id: 'web', cmd: 'x', upgradeStrategy: { minimumHealthCapacity: 2 } },
      /upgradeStrategy\.minimumHealthCapacity/,
    ],
    ['fractional instances', { id: 'web', cmd: 'x', instances: 1.5 }, /instances: /],
  ];
  for (const [name, raw, message] of cases) {
    it(`names the field for ${name}`, () => assert.match(invalid(raw), message));
  }
});

describe('needsNewVersion', () => {
  const base = parseAppDefinition({ id: 'web', cmd: 'x', instances: 2 });
  it('ignores instances', () => assert.equal(needsNewVersion(base, { ...base, instances: 5 }), false));
  it('sees any other change', () => assert.equal(needsNewVersion(base, { ...base, cmd: 'y' }), true));
});
