// One front-end dialect for the browser code this server serves (issue 11): ES2020, checked
// by ESLint's recommended rules plus the few that keep the old dialect out (`var`, globals
// made by accident). No build step: what is linted is exactly what the browser runs.
//   npx --no-install eslint console/static widget      (scripts/test.sh runs it)
import js from "@eslint/js";
import globals from "globals";

const dialect = {
  "no-var": "error",
  "prefer-const": "error",
  "no-implicit-globals": "error",
  "no-unused-vars": ["error", { caughtErrors: "none" }],
  eqeqeq: ["error", "always", { null: "ignore" }], // `x == null`: null or undefined
};

export default [
  { ignores: ["node_modules/", ".venv/"] },
  js.configs.recommended,
  {
    // the console and the supervisor's floor: ES modules (<script type="module">)
    files: ["console/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "module",
      globals: { ...globals.browser, io: "readonly" }, // socket.io's client, a classic script
    },
    rules: dialect,
  },
  {
    // the chat frame (served by this server): ES modules, frame.js imports the others; they
    // reach socket.io's client as window.io, so a client that failed to load can be told
    files: ["widget/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "module",
      globals: globals.browser,
    },
    rules: dialect,
  },
  {
    // the launcher, embedded on other sites: a classic script, one closure, nothing leaks
    // into the website's page
    files: ["widget/widget.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: globals.browser,
    },
    rules: dialect,
  },
];
