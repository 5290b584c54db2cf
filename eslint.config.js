import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { CLOCK_SELECTORS, layeringPlugin } from "./eslint/layering.js";

export default tseslint.config(
  // test/fixtures/lint/ holds deliberate violations, linted by test/lint-typed.test.ts.
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".scratch/**", "test/fixtures/lint/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  // Type-aware rules for the TypeScript sources (all in tsconfig.json): promises that are dropped
  // or passed where a callback's result is ignored, awaits of non-promises, assertions the types
  // already guarantee, switches that miss a member of a union, and values that print as
  // "[object Object]" in templates.
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-unnecessary-type-assertion": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/restrict-template-expressions": "error",
    },
  },
  // The import graph of src/ (eslint/layering.js): the pure core imports no adapter and no I/O,
  // adapters reach each other only through ports.
  {
    files: ["src/**/*.ts"],
    plugins: { layering: layeringPlugin },
    rules: { "layering/imports": "error" },
  },
  // The pure core does not read the clock: `now` is an argument.
  {
    files: ["src/domain/**/*.ts", "src/policy/**/*.ts"],
    rules: { "no-restricted-syntax": ["error", ...CLOCK_SELECTORS] },
  },
);
