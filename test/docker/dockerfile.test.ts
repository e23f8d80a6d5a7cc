// docker/Dockerfile: a real linter (dockerfile-utils, the validator behind the VS Code Docker language
// server; hadolint is not on npm or in Debian) plus the rules this image depends on, read from the parsed
// Dockerfile (dockerfile-ast): stages, what the runtime stage contains, how it starts and stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { execForm, readText, repoRoot } from './files.js';

const text = readText('docker', 'Dockerfile');
const dockerfile = DockerfileParser.parse(text);

interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

/** The stages in order, each with its instructions (after its FROM). */
function stages(): Stage[] {
  const out: Stage[] = [];
  for (const ins of dockerfile.getInstructions()) {
    if (ins.getKeyword() === 'FROM') {
      const args = ins.getArguments().map((a) => a.getValue());
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      out.push({ name: as >= 0 ? args[as + 1]! : '', image: args.find((a) => !a.startsWith('--'))!, instructions: [] });
    } else {
      out.at(-1)?.instructions.push(ins);
    }
  }
  return out;
}

const all = stages();
const runtime = all.at(-1)!;
const byKeyword = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);
/** The value of a leading `--name=value` flag of an instruction. */
const flag = (ins: Instruction, name: string) => ins.getTextContent().match(new RegExp(`^\\w+\\s+(?:--\\S+\\s+)*?--${name}=(\\S+)`))?.[1];
/** ARG defaults declared before the first FROM. */
const globalArgs = new Map(
  text
    .split('\n')
    .slice(0, text.split('\n').findIndex((l) => /^FROM\s/i.test(l)))
    .map((l) => /^ARG\s+(\w+)=(\S+)/i.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!]),
);

test('dockerfile-utils finds no problem in docker/Dockerfile (and does find them in a broken one)', () => {
  const problems = validate(text, {}).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  assert.deepEqual(problems, []);
  const broken = validate('FROM node:20 AS a b\nHEALTHCHECK --interval=soon CMD true\nCOPY --chmod=x\n', {});
  assert.ok(broken.length >= 3, `the linter reports problems: ${broken.map((d) => d.message).join('; ')}`);
});

test('multi-stage: every stage named; base images from pinned majors (Node 20, Maven with JDK 17)', () => {
  assert.ok(all.length >= 3, `${all.length} stages`);
  for (const s of all) assert.match(s.name, /^[a-z][a-z0-9-]*$/, `stage ${s.image} has a name`);
  assert.equal(runtime.name, 'runtime');
  assert.match(globalArgs.get('NODE_IMAGE') ?? '', /^node:20[.-]/);
  assert.match(globalArgs.get('MAVEN_IMAGE') ?? '', /^maven:3\.\d+-eclipse-temurin-17$/);
  assert.equal(runtime.image, '${NODE_IMAGE}', 'runtime starts from the same Node image as the build');
});

test('the daemon jars come from Maven and are checksum-verified against jars.lock.json before the runtime gets them', () => {
  const jars = all.find((s) => byKeyword(s, 'RUN').some((r) => /\bmvn\b.*dependency:copy-dependencies/.test(r.getArgumentsContent() ?? '')));
  assert.ok(jars, 'a stage runs mvn dependency:copy-dependencies');
  const mvn = byKeyword(jars, 'RUN').map((r) => r.getArgumentsContent() ?? '').join(' ');
  assert.match(mvn, /-DincludeScope=runtime/);
  const out = /-DoutputDirectory=(\S+)/.exec(mvn)?.[1];
  assert.ok(byKeyword(jars, 'COPY').some((c) => /maven\/kcl-multilang\/pom\.xml/.test(c.getArgumentsContent() ?? '')), 'resolves the pinned pom');

  const verified = all.find((s) => byKeyword(s, 'COPY').some((c) => flag(c, 'from') === jars.name));
  assert.ok(verified, 'a stage takes the resolved jars');
  const into = byKeyword(verified, 'COPY').find((c) => flag(c, 'from') === jars.name)!.getArguments().map((a) => a.getValue());
  assert.equal(into.at(-2), out, 'copies the folder Maven wrote');
  const verify = byKeyword(verified, 'RUN').map((r) => r.getArgumentsContent() ?? '').join(' ');
  assert.ok(verify.includes(`kcl-ts.js jars kcl-multilang --dir ${into.at(-1)}`), `verifies ${into.at(-1)} with kcl-ts jars: ${verify}`);

  const fromStages = byKeyword(runtime, 'COPY').map((c) => flag(c, 'from'));
  assert.ok(fromStages.includes(verified.name), 'the runtime copies kcl-ts (with the jars) from the verified stage');
  assert.ok(!fromStages.includes(jars.name), 'never the unverified jars');
  const env = byKeyword(runtime, 'ENV').map((e) => e.getArgumentsContent() ?? '').join(' ');
  assert.match(env, new RegExp(`KCL_TS_JARS=${into.at(-1)}(\\s|$)`), 'KCL_TS_JARS names the verified folder');
});

test('runtime stage: non-root USER, no build tools, STOPSIGNAL SIGTERM, exec-form ENTRYPOINT and HEALTHCHECK', () => {
  const users = byKeyword(runtime, 'USER').map((u) => u.getArgumentsContent()?.trim() ?? '');
  assert.equal(users.length, 1);
  assert.doesNotMatch(users[0]!, /^(root|0)(:|$)/);
  const keywords = runtime.instructions.map((i) => i.getKeyword());
  assert.ok(keywords.indexOf('USER') > keywords.lastIndexOf('RUN'), 'USER comes after the last RUN: nothing after it runs as root');

  const runs = byKeyword(runtime, 'RUN').map((r) => r.getArgumentsContent() ?? '').join('\n');
  const installed = [...runs.matchAll(/apt-get install[^&]*/g)].flatMap((m) => m[0].split(/\s+/).filter((w) => w && !w.startsWith('-') && w !== 'apt-get' && w !== 'install' && w !== '\\'));
  assert.deepEqual(installed, ['openjdk-17-jre-headless'], 'only the JRE is installed');
  assert.match(runs, /--no-install-recommends/);
  assert.match(runs, /rm -rf \/var\/lib\/apt\/lists/);
  for (const tool of ['npm', 'npx', 'corepack', 'yarn']) assert.match(runs, new RegExp(`/usr/local/bin/${tool}\\b`), `removes ${tool}`);
  assert.doesNotMatch(runs, /\b(npm (ci|install)|mvn|gcc|g\+\+|make|build-essential|python3?|git|curl|wget)\b/, 'no build tools or downloaders');
  const copiesFrom = byKeyword(runtime, 'COPY').map((c) => flag(c, 'from'));
  assert.ok(copiesFrom.every((f) => f !== undefined), 'the runtime copies only from earlier stages (nothing from the context)');

  const stop = byKeyword(runtime, 'STOPSIGNAL');
  assert.equal(stop.length, 1);
  assert.equal(stop[0]!.getArgumentsContent()?.trim(), 'SIGTERM');

  const entry = byKeyword(runtime, 'ENTRYPOINT');
  assert.equal(entry.length, 1);
  const words = execForm(entry[0]!.getArgumentsContent() ?? '');
  assert.deepEqual(words, ['/opt/kcl-ts/docker/entrypoint.sh'], 'exec form (no /bin/sh -c wrapper between PID 1 and the launcher)');
  assert.match(readText('docker', 'entrypoint.sh'), /^exec node "\$home\/bin\/kcl-ts\.js" run -p "\$properties" --jars "\$jars"/m, 'the script execs the launcher');

  const health = byKeyword(runtime, 'HEALTHCHECK');
  assert.equal(health.length, 1);
  const hc = health[0]!.getTextContent();
  assert.match(hc, /--start-period=\d+s/);
  const cmd = execForm(hc.slice(hc.indexOf('CMD') + 3));
  assert.deepEqual(cmd, ['node', '/opt/kcl-ts/docker/healthcheck.mjs']);
});

test('every COPY from the build context exists, is not excluded by Dockerfile.dockerignore, and scripts are executable', () => {
  const ignore = readText('docker', 'Dockerfile.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const stage of all) {
    for (const copy of byKeyword(stage, 'COPY')) {
      if (flag(copy, 'from') !== undefined) continue;
      const sources = copy.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const src of sources) {
        assert.ok(existsSync(join(repoRoot, src)), `${stage.name}: COPY source ${src} exists`);
        const top = src.split('/')[0]!;
        assert.ok(!ignore.includes(top) && !ignore.includes(src.replace(/\/$/, '')), `${src} is not in Dockerfile.dockerignore`);
      }
    }
  }
  for (const script of ['entrypoint.sh', 'install-consumer.sh']) {
    assert.ok((statSync(join(repoRoot, 'docker', script)).mode & 0o111) !== 0, `docker/${script} is executable`);
  }
  // The paths the runtime stage relies on are copied into the image.
  const kclBuildCopies = all.flatMap((s) => byKeyword(s, 'COPY')).map((c) => c.getArgumentsContent() ?? '').join(' ');
  for (const file of ['docker/entrypoint.sh', 'docker/healthcheck.mjs', 'docker/install-consumer.sh', 'docker/compose-tools.mjs']) {
    assert.ok(kclBuildCopies.includes(file), `${file} is copied into /opt/kcl-ts/docker`);
  }
});

test('the consumer comes from the named context `consumer`, defaulting to docker/example-consumer, and is validated at build time', () => {
  const consumer = all.find((s) => s.name === 'consumer');
  assert.ok(consumer, 'a stage named `consumer` (overridden by --build-context consumer=DIR)');
  assert.equal(consumer.image, 'scratch');
  assert.match(byKeyword(consumer, 'COPY')[0]!.getArgumentsContent() ?? '', /^docker\/example-consumer\/ \/$/);
  const build = all.find((s) => byKeyword(s, 'COPY').some((c) => flag(c, 'from') === 'consumer'))!;
  assert.match(byKeyword(build, 'RUN').map((r) => r.getArgumentsContent()).join(' '), /docker\/install-consumer\.sh \/app/);
  assert.match(readText('docker', 'install-consumer.sh'), /kcl-ts\.js" validate -p app\.properties/);
  for (const f of ['app.properties', 'consumer.mjs', 'package.json', 'package-lock.json']) {
    assert.ok(existsSync(join(repoRoot, 'docker', 'example-consumer', f)), `example-consumer/${f}`);
  }
});
