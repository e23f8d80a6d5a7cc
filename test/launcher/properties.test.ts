import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties, splitExecutableName } from '../../src/launcher/properties.js';

function values(text: string): Record<string, string> {
  return Object.fromEntries([...parseProperties(text).entries].map(([k, e]) => [k, e.value]));
}

test('separators: =, : and whitespace, with whitespace around them', () => {
  assert.deepEqual(values('a=1\nb:2\nc 3\nd = 4\ne\t:\t5\nf   =   6'), { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6' });
});

test('only the first separator counts; the rest belongs to the value', () => {
  assert.deepEqual(values('url = http://127.0.0.1:4568\nx=a=b'), { url: 'http://127.0.0.1:4568', x: 'a=b' });
});

test('empty values: `key=`, `key` alone, `key =`', () => {
  assert.deepEqual(values('a=\nb\nc =   '), { a: '', b: '', c: '' });
});

test('trailing whitespace of a value is kept, leading whitespace is not', () => {
  assert.equal(values('a =   x  ').a, 'x  ');
});

test('# and ! comments, also indented; blank lines', () => {
  const parsed = parseProperties('# one\n  ! two\n\n   \na=1\n#b=2\n!c=3');
  assert.deepEqual([...parsed.entries.keys()], ['a']);
  assert.equal(parsed.entries.get('a')!.line, 5);
});

test('a # inside a value is not a comment', () => {
  assert.equal(values('a = x # y').a, 'x # y');
});

test('continuation lines join, and the leading whitespace of the continued line is dropped', () => {
  const parsed = parseProperties('first = 1\nexecutableName = node \\\n     dist/consumer.js \\\n\t--flag\nlast = 2');
  assert.equal(parsed.entries.get('executableName')!.value, 'node dist/consumer.js --flag');
  assert.equal(parsed.entries.get('executableName')!.line, 2);
  assert.equal(parsed.entries.get('last')!.line, 5);
});

test('an even number of trailing backslashes is not a continuation', () => {
  assert.deepEqual(values('a = x\\\\\nb = y'), { a: 'x\\', b: 'y' });
  assert.deepEqual(values('a = x\\\\\\\nb = y'), { a: 'x\\b = y' });
});

test('a continuation on the last line ends the value', () => {
  assert.deepEqual(values('a = x\\'), { a: 'x' });
});

test('escapes: \\t \\n \\r \\f, \\uXXXX, and \\x for any other x', () => {
  assert.equal(values('a = \\t\\n\\r\\f').a, '\t\n\r\f');
  assert.equal(values('a = caf\\u00e9').a, 'café');
  assert.equal(values('a = \\q\\\\').a, 'q\\');
});

test('escaped separators and spaces in keys', () => {
  assert.deepEqual(values('a\\=b=c\nd\\:e:f\ng\\ h i'), { 'a=b': 'c', 'd:e': 'f', 'g h': 'i' });
});

test('CRLF and CR line endings', () => {
  assert.deepEqual(values('a=1\r\nb = 2\r\nc = 3 \\\r\n  4\r\n'), { a: '1', b: '2', c: '3 4' });
  assert.deepEqual(values('a=1\rb=2'), { a: '1', b: '2' });
});

test('duplicate keys: the last wins, every line is recorded', () => {
  const parsed = parseProperties('a=1\nb=x\na=2\n\na=3');
  assert.equal(parsed.entries.get('a')!.value, '3');
  assert.equal(parsed.entries.get('a')!.line, 5);
  assert.deepEqual([...parsed.duplicates], [['a', [1, 3, 5]]]);
});

test('splitExecutableName splits on runs of spaces only', () => {
  assert.deepEqual(splitExecutableName('node   dist/consumer.js  --x'), ['node', 'dist/consumer.js', '--x']);
  assert.deepEqual(splitExecutableName('node\tdist/a.js b'), ['node\tdist/a.js', 'b']);
  assert.deepEqual(splitExecutableName('   node a.js'), ['', 'node', 'a.js'], 'like Java: an empty first word');
  assert.deepEqual(splitExecutableName('node a.js   '), ['node', 'a.js']);
  assert.deepEqual(splitExecutableName('"my app" x'), ['"my', 'app"', 'x']);
  assert.deepEqual(splitExecutableName(''), []);
});
