// Typed linting everywhere; extra determinism rules for workflow code, which Temporal replays; and the
// architecture held by lint: no import cycles, and no import from a lower layer to a higher one.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { builtinModules } from 'node:module';

// A file's journey, top to bottom: entry points (cli, stack, worker, starter-fn, api) -> workflows ->
// activities -> janitor, notify, publish, media -> adapters -> ports, store-io, config -> domain (pure).
// The transcoder is the container's own entry point: it composes media, publish and the adapters.
const ENTRY = ['./src/cli', './src/stack', './src/worker', './src/starter-fn', './src/api', './src/preview'];
const layer = (target, from, except = [], message = undefined) => ({ target, from, except, ...(message ? { message } : {}) });
const ZONES = [
  layer('./src/domain', './src', ['./domain'], 'domain/ is pure: it imports nothing else of src/.'),
  layer(['./src/ports.ts', './src/store-io.ts', './src/retry.ts', './src/config.ts', './src/config-oci.ts'], './src', ['./domain', './ports.ts', './store-io.ts', './retry.ts', './config.ts', './config-oci.ts']),
  layer('./src/adapters', ['./src/activities', './src/workflows', './src/janitor', './src/transcoder', './src/media', './src/notify', ...ENTRY]),
  layer('./src/media', ['./src/activities', './src/workflows', './src/janitor', './src/transcoder', './src/adapters', './src/notify', ...ENTRY]),
  layer(['./src/janitor', './src/notify'], ['./src/activities', './src/workflows', './src/transcoder', './src/adapters', ...ENTRY.filter((e) => e !== './src/starter-fn')], [], 'janitor/ and notify/ sit below the activities and the entry points.'),
  layer('./src/activities', ['./src/transcoder', './src/adapters', ...ENTRY], [], 'activities know ports, not adapters, the transcoder or the entry points.'),
  layer('./src/activities', './src/workflows', ['./definitions.ts'], "activities know the workflow's public definitions only."),
  layer('./src/transcoder', ['./src/activities', './src/workflows', './src/janitor', ...ENTRY]),
  layer('./src/workflows', './src', ['./workflows', './domain', './ports.ts', './activities/index.ts', './janitor/decide.ts', './janitor/reconcile.ts'], 'workflows import domain/, port and activity types (activities/index.ts) and pure janitor types only.'),
];

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'coverage/', 'tests/fixtures/', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    plugins: { 'import-x': importX },
    settings: {
      // The typescript preset's parsers and extensions: without them no-cycle cannot read a .ts dependency
      // and silently finds no cycle (tests/unit/static/architecture-lint.test.ts holds this).
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver': undefined,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: ZONES }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })),
          patterns: [
            { group: ['../adapters/*', '../activities/*.js', '!../activities/index.js'], message: 'Workflows import activity types only.' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Use workflow time (Date is replayed) or an activity.' },
        { object: 'Math', property: 'random', message: 'Non-deterministic: use uuid4() from @temporalio/workflow.' },
      ],
      'no-restricted-globals': ['error', 'setImmediate', 'process', 'require'],
    },
  },
);
