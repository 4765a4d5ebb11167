"use strict";
// XXH3-128 against the reference: every size class of the algorithm, compared with what
// `xxhsum -H2` prints for the same bytes, through every entry point.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const ava_1 = __importDefault(require("ava"));
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const atomic_publish_1 = require("atomic-publish");
const helpers_js_1 = require("./helpers.js");
// One or more sizes from each of XXH3's code paths: 0, 1–3, 4–8, 9–16, 17–128, 129–240,
// 241+ (stripes, then blocks of 1 KiB), and multi-MiB.
const SIZES = [0, 1, 2, 3, 4, 6, 8, 9, 12, 16, 17, 64, 128, 129, 200, 240, 241, 1024, 1025, 65_536, 3 * 1024 * 1024 + 7];
(0, ava_1.default)('one-shot, file and incremental hashes equal xxhsum -H2 on every size class', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    for (const size of SIZES) {
        const data = (0, helpers_js_1.xorshiftBytes)(size, 0x1234567 + size);
        const file = (0, node_path_1.join)(dir, `in-${size}`);
        (0, node_fs_1.writeFileSync)(file, data);
        const reference = (0, helpers_js_1.xxhsumH2)(file);
        t.regex(reference, /^[0-9a-f]{32}$/);
        t.is((0, atomic_publish_1.xxh3_128)(data), reference, `xxh3_128 at ${size}`);
        t.is((0, atomic_publish_1.hashFileSync)(file), reference, `hashFileSync at ${size}`);
        t.is(await (0, atomic_publish_1.hashFile)(file), reference, `hashFile at ${size}`);
        for (const chunk of [1, 7, 256, 4096]) {
            if (chunk > 1 && chunk >= size)
                continue;
            const hasher = (0, atomic_publish_1.createHasher)();
            for (let i = 0; i < size; i += chunk)
                hasher.update(data.subarray(i, i + chunk));
            t.is(hasher.digest(), reference, `createHasher at ${size} in chunks of ${chunk}`);
        }
    }
});
(0, ava_1.default)('the published hash of write is the one xxhsum computes of the file', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const data = (0, helpers_js_1.xorshiftBytes)(5 * 1024 * 1024 + 3);
    const result = await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'p')).write(data);
    t.is(result.hash, (0, helpers_js_1.xxhsumH2)((0, node_path_1.join)(dir, 'p')));
});
(0, ava_1.default)('known vectors: the fox sentence and the empty input', (t) => {
    t.is((0, atomic_publish_1.xxh3_128)('the quick brown fox jumps over the lazy dog'), 'e9a1932627d7f46d15c21eead63fa21f');
    t.is((0, atomic_publish_1.xxh3_128)(''), '99aa06d3014798d86001c324468d497f');
    t.is((0, atomic_publish_1.xxh3_128)('hello world'), 'df8d09e93f874900a99b8775cc15b6c7');
});
(0, ava_1.default)('strings hash as UTF-8 and typed arrays as their own bytes', (t) => {
    t.is((0, atomic_publish_1.xxh3_128)('ünïcødé ✓'), (0, atomic_publish_1.xxh3_128)(Buffer.from('ünïcødé ✓', 'utf8')));
    const floats = new Float32Array([1, 2, 3]);
    t.is((0, atomic_publish_1.xxh3_128)(floats), (0, atomic_publish_1.xxh3_128)(Buffer.from(floats.buffer)));
    const view = new DataView(floats.buffer, 4, 4);
    t.is((0, atomic_publish_1.xxh3_128)(view), (0, atomic_publish_1.xxh3_128)(Buffer.from(floats.buffer, 4, 4)));
});
(0, ava_1.default)('createHasher chains, digests mid-way and keeps going', (t) => {
    const hasher = (0, atomic_publish_1.createHasher)();
    t.is(hasher.update('hello').update(' '), hasher);
    t.is(hasher.digest(), (0, atomic_publish_1.xxh3_128)('hello '));
    hasher.update(Buffer.from('world'));
    t.is(hasher.digest(), (0, atomic_publish_1.xxh3_128)('hello world'));
});
(0, ava_1.default)('withHash accepts the hash as a bigint, in upper case, or without leading zeros', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const hex = (0, atomic_publish_1.xxh3_128)('payload');
    await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'a')).withHash(BigInt(`0x${hex}`)).write('payload');
    await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'b')).withHash(hex.toUpperCase()).write('payload');
    // A digest with leading zeros may be given without them.
    const data = Array.from({ length: 5000 }, (_, i) => `v${i}`).find((d) => (0, atomic_publish_1.xxh3_128)(d).startsWith('0'));
    t.truthy(data);
    const short = (0, atomic_publish_1.xxh3_128)(data).replace(/^0+/, '');
    await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'c')).withHash(short).write(data);
    t.pass();
});
(0, ava_1.default)('hashFile reports missing files and directories the way fs does', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const missing = (0, node_path_1.join)(dir, 'missing');
    const err = await t.throwsAsync((0, atomic_publish_1.hashFile)(missing));
    t.like(err, { code: 'ENOENT', errno: -2, syscall: 'open', path: missing });
    t.is(err.message, `ENOENT: no such file or directory, open '${missing}'`);
    t.throws(() => (0, atomic_publish_1.hashFileSync)(dir), { code: 'EISDIR' });
});
