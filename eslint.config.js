import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tap/**', 'coverage/**', 'openapi/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['src/cli.ts', 'test/cli.test.ts', 'test/helpers/cli.ts', 'bench/**', 'scripts/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: { 'no-console': 'off' },
  },
  {
    // Plain Node scripts a newcomer runs (issue 19): they print every frame.
    files: ['examples/**'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly' },
    },
    rules: { 'no-console': 'off' },
  },
  {
    // The browser console's modules: plain JavaScript that runs in the page as it is.
    files: ['web/console/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(['document', 'location', 'fetch', 'URLSearchParams', 'WebSocket', 'sessionStorage', 'setInterval', 'clearInterval']
        .map((name) => [name, 'readonly'])),
    },
  },
)
