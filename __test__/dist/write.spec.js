"use strict";
// write / writeSync: the seed's behaviours, ported, and the result shape.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const ava_1 = __importDefault(require("ava"));
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const atomic_publish_1 = require("atomic-publish");
const helpers_js_1 = require("./helpers.js");
const FOX = 'the quick brown fox jumps over the lazy dog';
const BOGUS = 'deadbeefdeadbeefdeadbeefdeadbeef';
(0, ava_1.default)('test_atomic_file_new_makes_no_filesystem_changes', (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'sub', 'never_created');
    new atomic_publish_1.AtomicFile(target).withHash(BOGUS).withMtime(new Date(1_700_000_000_000)).withMode(0o600).withFsync(false);
    t.deepEqual((0, helpers_js_1.namesIn)(dir), []);
});
(0, ava_1.default)('test_atomic_write_round_trip', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'file.txt');
    const result = await new atomic_publish_1.AtomicFile(target).write('hello world');
    t.is((0, node_fs_1.readFileSync)(target, 'utf8'), 'hello world');
    t.deepEqual(result, { path: target, bytes: 11, hash: (0, atomic_publish_1.xxh3_128)('hello world') });
});
(0, ava_1.default)('test_atomic_write_overwrites_existing', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'file.txt');
    (0, node_fs_1.writeFileSync)(target, 'old contents');
    await new atomic_publish_1.AtomicFile(target).write('new contents');
    t.is((0, node_fs_1.readFileSync)(target, 'utf8'), 'new contents');
    t.deepEqual((0, helpers_js_1.namesIn)(dir), ['file.txt']);
});
(0, ava_1.default)('test_atomic_write_creates_parent_dir', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'nested', 'deeper', 'file.txt');
    await new atomic_publish_1.AtomicFile(target).write('x');
    t.is((0, node_fs_1.readFileSync)(target, 'utf8'), 'x');
});
(0, ava_1.default)('test_atomic_write_empty_contents', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'file.txt');
    const result = await new atomic_publish_1.AtomicFile(target).write(Buffer.alloc(0));
    t.is((0, node_fs_1.readFileSync)(target).length, 0);
    t.is(result.bytes, 0);
    t.is(result.hash, '99aa06d3014798d86001c324468d497f');
});
(0, ava_1.default)('test_atomic_write_verified_commits_on_match', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'blob.bin');
    const result = await new atomic_publish_1.AtomicFile(target).withHash((0, atomic_publish_1.xxh3_128)(FOX)).write(FOX);
    t.is((0, node_fs_1.readFileSync)(target, 'utf8'), FOX);
    t.is(result.hash, 'e9a1932627d7f46d15c21eead63fa21f');
    t.deepEqual((0, helpers_js_1.namesIn)(dir), ['blob.bin']);
});
(0, ava_1.default)('test_atomic_write_verified_aborts_on_mismatch', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    (0, node_fs_1.writeFileSync)((0, node_path_1.join)(dir, 'blob.bin'), 'old');
    const before = (0, helpers_js_1.snapshot)(dir);
    for (const target of [(0, node_path_1.join)(dir, 'blob.bin'), (0, node_path_1.join)(dir, 'missing-parent', 'blob.bin')]) {
        const err = await t.throwsAsync(new atomic_publish_1.AtomicFile(target).withHash(BOGUS).write(FOX), {
            instanceOf: atomic_publish_1.HashMismatchError,
        });
        t.is(err.code, 'ERR_HASH_MISMATCH');
        t.is(err.path, target);
        t.is(err.expected, BOGUS);
        t.is(err.actual, (0, atomic_publish_1.xxh3_128)(FOX));
        t.false(err.published);
    }
    t.deepEqual((0, helpers_js_1.snapshot)(dir), before, 'a mismatched write touches nothing, not even parents');
});
(0, ava_1.default)('writeSync publishes the same way and verifies before touching the disk', (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'a', 'sync.txt');
    const result = new atomic_publish_1.AtomicFile(target).withHash((0, atomic_publish_1.xxh3_128)(FOX)).writeSync(FOX);
    t.deepEqual(result, { path: target, bytes: FOX.length, hash: (0, atomic_publish_1.xxh3_128)(FOX) });
    t.is((0, node_fs_1.readFileSync)(target, 'utf8'), FOX);
    const before = (0, helpers_js_1.snapshot)(dir);
    t.throws(() => new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'b', 'x')).withHash(BOGUS).writeSync(FOX), {
        instanceOf: atomic_publish_1.HashMismatchError,
    });
    t.deepEqual((0, helpers_js_1.snapshot)(dir), before);
});
(0, ava_1.default)('every kind of binary input publishes its exact bytes', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const bytes = (0, helpers_js_1.xorshiftBytes)(4099);
    const inputs = [
        ['string as UTF-8', 'héllo ✓', Buffer.from('héllo ✓', 'utf8')],
        ['Buffer', bytes, bytes],
        ['Uint8Array slice', new Uint8Array(bytes.buffer, bytes.byteOffset + 3, 1000), bytes.subarray(3, 1003)],
        ['Float64Array', new Float64Array([1.5, -2]), Buffer.from(new Float64Array([1.5, -2]).buffer)],
        ['DataView', new DataView(bytes.buffer, bytes.byteOffset + 8, 16), bytes.subarray(8, 24)],
    ];
    for (const [name, input, expected] of inputs) {
        const target = (0, node_path_1.join)(dir, name);
        const result = await new atomic_publish_1.AtomicFile(target).write(input);
        t.deepEqual((0, node_fs_1.readFileSync)(target), expected, name);
        t.is(result.bytes, expected.length, name);
        t.is(result.hash, (0, atomic_publish_1.xxh3_128)(expected), name);
    }
});
(0, ava_1.default)('the result path is the target made absolute, links not followed', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const rel = (0, node_path_1.relative)(process.cwd(), (0, node_path_1.join)(dir, 'rel.txt'));
    const result = await new atomic_publish_1.AtomicFile(rel).write('x');
    t.is(result.path, (0, node_path_1.join)(dir, 'rel.txt'));
    const viaUrl = await new atomic_publish_1.AtomicFile(new URL(`file://${(0, node_path_1.join)(dir, 'url.txt')}`)).write('u');
    t.is(viaUrl.path, (0, node_path_1.join)(dir, 'url.txt'));
    const viaBuffer = new atomic_publish_1.AtomicFile(Buffer.from((0, node_path_1.join)(dir, 'buf.txt'))).writeSync('b');
    t.is(viaBuffer.path, (0, node_path_1.join)(dir, 'buf.txt'));
    t.deepEqual((0, helpers_js_1.namesIn)(dir), ['buf.txt', 'rel.txt', 'url.txt']);
});
(0, ava_1.default)('a builder can publish more than once, each time in full', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const file = new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'f'));
    await file.write('first');
    await file.write('second, longer');
    file.writeSync('3');
    t.is((0, node_fs_1.readFileSync)((0, node_path_1.join)(dir, 'f'), 'utf8'), '3');
});
(0, ava_1.default)('test_atomic_write_concurrent_writers', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'file.txt');
    await Promise.all(Array.from({ length: 32 }, (_, i) => new atomic_publish_1.AtomicFile(target).write(`writer-${i}`)));
    t.regex((0, node_fs_1.readFileSync)(target, 'utf8'), /^writer-\d+$/);
    t.deepEqual((0, helpers_js_1.namesIn)(dir), ['file.txt']);
});
(0, ava_1.default)('withFsync(false) still publishes atomically', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'fast');
    await new atomic_publish_1.AtomicFile(target).withFsync(false).write('quick');
    t.is((0, node_fs_1.readFileSync)(target, 'utf8'), 'quick');
    t.true((0, node_fs_1.existsSync)(target));
    t.is((0, node_fs_1.statSync)(target).size, 5);
});
