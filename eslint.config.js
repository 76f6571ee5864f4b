// Lint with zero warnings (npm run lint). Which process a module may run in is a lint
// error here, not a convention: see the boundary blocks below and STYLE.md.
import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const nodeBuiltins = { group: ['node:*'], message: 'This module runs outside Node: no node: imports.' }
const noElectron = {
  name: 'electron',
  message: 'Only the shell (src/main/index.ts and the Electron glue in src/main/shell) and src/preload import electron.',
}
// The shell's decisions, kept free of electron so Node tests them (test/shell).
const pureShell = ['argv', 'window-state', 'menu-template', 'tray-state', 'alert-notices', 'open-files', 'security', 'app-paths'].map(
  (name) => `src/main/shell/${name}.ts`,
)

export default tseslint.config(
  { ignores: ['out/', 'node_modules/', 'dist/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron, { name: 'react', message: 'src/shared is pure TypeScript.' }],
          patterns: [
            nodeBuiltins,
            { group: ['../main/*', '../workers/*', '../preload/*', '../renderer/*'], message: 'src/shared imports nothing from the processes.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts', 'src/workers/**/*.ts'],
    ignores: ['src/main/index.ts', 'src/main/shell/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] },
  },
  {
    files: pureShell,
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'This part of the shell is tested in Node: no electron here.' }] }] },
  },
  {
    files: ['src/workers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron, { name: 'better-sqlite3', message: 'Workers never open the database: they return results to the scheduler.' }],
          patterns: [{ group: ['../main/*', '../../main/*'], message: 'Workers import only src/shared and src/workers.' }],
        },
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [noElectron],
          patterns: [
            nodeBuiltins,
            { group: ['**/main/**', '**/workers/**', '**/preload/**'], message: 'The renderer imports only src/shared and its own files.' },
          ],
        },
      ],
    },
  },
)
