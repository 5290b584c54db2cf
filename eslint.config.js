import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { CLOCK_SELECTORS, layeringPlugin } from "./eslint/layering.js";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".scratch/**"] },
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
