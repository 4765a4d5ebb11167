"use strict";
// copyFrom / copyFromSync: the seed's copy tests, ported, and verification of copies.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const ava_1 = __importDefault(require("ava"));
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const atomic_publish_1 = require("atomic-publish");
const helpers_js_1 = require("./helpers.js");
const FIXED_MTIME_NS = 1700000000123456789n;
(0, ava_1.default)('test_atomic_copy_with_mtime_round_trip', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const [src, dst] = [(0, node_path_1.join)(dir, 'src.bin'), (0, node_path_1.join)(dir, 'dst.bin')];
    const payload = (0, helpers_js_1.xorshiftBytes)(20_000);
    (0, node_fs_1.writeFileSync)(src, payload);
    const result = await new atomic_publish_1.AtomicFile(dst).withMtime(FIXED_MTIME_NS).copyFrom(src);
    t.deepEqual((0, node_fs_1.readFileSync)(dst), payload);
    t.is((0, node_fs_1.statSync)(dst, { bigint: true }).mtimeNs, FIXED_MTIME_NS);
    t.deepEqual(result, { path: dst, bytes: payload.length }, 'no hash without withHash: the kernel copied');
    t.deepEqual((0, helpers_js_1.namesIn)(dir), ['dst.bin', 'src.bin']);
});
(0, ava_1.default)('test_atomic_copy_with_mtime_overwrites_existing', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const [src, dst] = [(0, node_path_1.join)(dir, 'src.bin'), (0, node_path_1.join)(dir, 'dst.bin')];
    (0, node_fs_1.writeFileSync)(src, 'new content');
    (0, node_fs_1.writeFileSync)(dst, 'old content with different length');
    new atomic_publish_1.AtomicFile(dst).withMtime(FIXED_MTIME_NS).copyFromSync(src);
    t.is((0, node_fs_1.readFileSync)(dst, 'utf8'), 'new content');
});
(0, ava_1.default)('test_atomic_copy_with_mtime_missing_source_leaves_no_scratch', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const [src, dst] = [(0, node_path_1.join)(dir, 'does-not-exist.bin'), (0, node_path_1.join)(dir, 'sub', 'dst.bin')];
    const err = (await t.throwsAsync(new atomic_publish_1.AtomicFile(dst).withMtime(FIXED_MTIME_NS).copyFrom(src)));
    // Like fs.copyFile: the path is the source that failed, dest the target.
    t.like(err, { code: 'ENOENT', syscall: 'open', path: src, dest: dst, published: false });
    t.is(err.message, `ENOENT: no such file or directory, open '${src}'`);
    t.throws(() => new atomic_publish_1.AtomicFile(dst).copyFromSync(src), { code: 'ENOENT' });
    t.deepEqual((0, helpers_js_1.namesIn)(dir), [], 'not even the parent directory');
});
(0, ava_1.default)('a verified copy reports its hash; a mismatch leaves the target as it was', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const [src, dst] = [(0, node_path_1.join)(dir, 'src.bin'), (0, node_path_1.join)(dir, 'dst.bin')];
    const payload = (0, helpers_js_1.xorshiftBytes)(3 * 1024 * 1024 + 11);
    (0, node_fs_1.writeFileSync)(src, payload);
    const result = await new atomic_publish_1.AtomicFile(dst).withHash((0, atomic_publish_1.xxh3_128)(payload)).copyFrom(src);
    t.deepEqual(result, { path: dst, bytes: payload.length, hash: (0, atomic_publish_1.xxh3_128)(payload) });
    (0, node_fs_1.writeFileSync)(dst, 'old');
    const before = (0, helpers_js_1.snapshot)(dir);
    const err = await t.throwsAsync(new atomic_publish_1.AtomicFile(dst).withHash('1').copyFrom(src), { instanceOf: atomic_publish_1.HashMismatchError });
    t.is(err.actual, (0, atomic_publish_1.xxh3_128)(payload));
    t.throws(() => new atomic_publish_1.AtomicFile(dst).withHash('1').copyFromSync(src), { instanceOf: atomic_publish_1.HashMismatchError });
    t.deepEqual((0, helpers_js_1.snapshot)(dir), before);
});
(0, ava_1.default)('copying from a directory is EISDIR and leaves nothing', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    (0, node_fs_1.mkdirSync)((0, node_path_1.join)(dir, 'srcdir'));
    const before = (0, helpers_js_1.snapshot)(dir);
    const err = (await t.throwsAsync(new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'dst')).copyFrom((0, node_path_1.join)(dir, 'srcdir'))));
    t.like(err, { code: 'EISDIR', path: (0, node_path_1.join)(dir, 'srcdir') });
    t.deepEqual((0, helpers_js_1.snapshot)(dir), before);
});
(0, ava_1.default)('a large copy keeps every byte, with and without a hash', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const src = (0, node_path_1.join)(dir, 'big');
    const payload = (0, helpers_js_1.xorshiftBytes)(24 * 1024 * 1024 + 5);
    (0, node_fs_1.writeFileSync)(src, payload);
    await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'plain')).copyFrom(src);
    await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'verified')).withHash((0, atomic_publish_1.xxh3_128)(payload)).copyFrom(src);
    t.true((0, node_fs_1.readFileSync)((0, node_path_1.join)(dir, 'plain')).equals(payload));
    t.true((0, node_fs_1.readFileSync)((0, node_path_1.join)(dir, 'verified')).equals(payload));
});
