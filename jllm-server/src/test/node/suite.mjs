// What the openai SDK suites (openai-*.mjs) share: which server they run against and how a check reports.
// JLLM_TARGET=llama-server (scripts/node-vs-llama-server.sh runs the suites against llama.cpp's server):
// checks of jllm's own features (extensions, stored state, jllm's error wording) print 'skip' with the
// reason instead of running; everything else runs unchanged. Unset (the Java tests), everything runs.
export const target = process.env.JLLM_TARGET || 'jllm';
export const onJllm = target === 'jllm';
// false (and a note) when the target is not jllm: guards the jllm-only part of a check
export function jllmOnly(what) {
  if (!onJllm) console.log(`     (${target}: not checked: ${what})`);
  return onJllm;
}

// only: a reason when the whole check is about jllm's own features (skipped on other targets)
export async function check(name, fn, only) {
  if (only && !onJllm) {
    console.log(`skip ${name} (jllm only: ${only})`);
    return;
  }
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    console.error(`FAIL ${name}: ${e && e.stack ? e.stack : e}${e && e.cause ? `\n     cause: ${e.cause.stack ?? e.cause}` : ''}`);
    process.exitCode = 1;
  }
}
