"use strict";
// What the published file carries besides its bytes: mtime (guarantee 10), mode and owner
// (guarantee 9), and what happens to symlinks (guarantee 8).
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const ava_1 = __importDefault(require("ava"));
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const atomic_publish_1 = require("atomic-publish");
const helpers_js_1 = require("./helpers.js");
const rootOnly = helpers_js_1.isRoot ? ava_1.default : ava_1.default.skip;
(0, ava_1.default)('a bigint mtime round-trips exactly through mtimeNs', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    for (const ns of [1700000000123456789n, 1n, -1500n, 0n]) {
        const target = (0, node_path_1.join)(dir, `f${ns}`);
        await new atomic_publish_1.AtomicFile(target).withMtime(ns).write('x');
        t.is((0, node_fs_1.statSync)(target, { bigint: true }).mtimeNs, ns);
    }
});
(0, ava_1.default)('a Date or a number of ms round-trips exactly through mtimeMs, unlike fs.utimes', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const ms = 1_700_000_000_123;
    await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'date')).withMtime(new Date(ms)).write('x');
    new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'number')).withMtime(ms).writeSync('x');
    await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'early')).withMtime(new Date(-1)).write('x');
    t.is((0, node_fs_1.statSync)((0, node_path_1.join)(dir, 'date')).mtimeMs, ms);
    t.is((0, node_fs_1.statSync)((0, node_path_1.join)(dir, 'number')).mtimeMs, ms);
    t.is((0, node_fs_1.statSync)((0, node_path_1.join)(dir, 'early')).mtimeMs, -1);
    // The reason the contract promises this: fs.utimes goes through float seconds.
    (0, node_fs_1.writeFileSync)((0, node_path_1.join)(dir, 'utimes'), 'x');
    (0, node_fs_1.utimesSync)((0, node_path_1.join)(dir, 'utimes'), new Date(ms), new Date(ms));
    t.log(`fs.utimes gave mtimeNs ${(0, node_fs_1.statSync)((0, node_path_1.join)(dir, 'utimes'), { bigint: true }).mtimeNs} for ${ms} ms`);
});
(0, ava_1.default)('the mtime is stamped on the scratch, so the target never shows a wrong one', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'stamped');
    (0, node_fs_1.writeFileSync)(target, 'old');
    const ns = 1000000000000000007n;
    await new atomic_publish_1.AtomicFile(target).withMtime(ns).write(Buffer.alloc(1 << 20, 1));
    t.is((0, node_fs_1.statSync)(target, { bigint: true }).mtimeNs, ns);
});
(0, ava_1.default)('a new file gets 0o666 masked by the umask', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'new')).write('x');
    t.is((0, node_fs_1.statSync)((0, node_path_1.join)(dir, 'new')).mode & 0o7777, 0o666 & ~process.umask());
});
(0, ava_1.default)('a replaced file keeps its mode', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'script.sh');
    (0, node_fs_1.writeFileSync)(target, 'old');
    (0, node_fs_1.chmodSync)(target, 0o751);
    await new atomic_publish_1.AtomicFile(target).write('new');
    t.is((0, node_fs_1.statSync)(target).mode & 0o7777, 0o751);
});
(0, ava_1.default)('withMode gives exactly that mode, not masked by the umask', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'open')).withMode(0o777).write('x');
    t.is((0, node_fs_1.statSync)((0, node_path_1.join)(dir, 'open')).mode & 0o7777, 0o777);
    (0, node_fs_1.writeFileSync)((0, node_path_1.join)(dir, 'tight'), 'old');
    (0, node_fs_1.chmodSync)((0, node_path_1.join)(dir, 'tight'), 0o644);
    new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'tight')).withMode(0o600).writeSync('new');
    t.is((0, node_fs_1.statSync)((0, node_path_1.join)(dir, 'tight')).mode & 0o7777, 0o600);
});
rootOnly('a replaced file keeps its owner where the process may set it', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    const target = (0, node_path_1.join)(dir, 'owned');
    (0, node_fs_1.writeFileSync)(target, 'old');
    (0, node_fs_1.chownSync)(target, 4242, 4343);
    await new atomic_publish_1.AtomicFile(target).write('new');
    const st = (0, node_fs_1.statSync)(target);
    t.deepEqual([st.uid, st.gid], [4242, 4343]);
});
(0, ava_1.default)('a symlinked target keeps its link; the file behind it is replaced, its scratch beside it', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    (0, node_fs_1.mkdirSync)((0, node_path_1.join)(dir, 'real'));
    (0, node_fs_1.writeFileSync)((0, node_path_1.join)(dir, 'real', 'config'), 'old');
    (0, node_fs_1.mkdirSync)((0, node_path_1.join)(dir, 'links'));
    (0, node_fs_1.symlinkSync)('../real/config', (0, node_path_1.join)(dir, 'links', 'config'));
    const result = await new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'links', 'config')).write('new');
    t.true((0, node_fs_1.lstatSync)((0, node_path_1.join)(dir, 'links', 'config')).isSymbolicLink());
    t.is((0, node_fs_1.readFileSync)((0, node_path_1.join)(dir, 'real', 'config'), 'utf8'), 'new');
    t.is(result.path, (0, node_path_1.join)(dir, 'links', 'config'), 'the result names the target as given');
    t.deepEqual((0, helpers_js_1.namesIn)((0, node_path_1.join)(dir, 'links')), ['config']);
    t.deepEqual((0, helpers_js_1.namesIn)((0, node_path_1.join)(dir, 'real')), ['config']);
});
(0, ava_1.default)('a dangling symlink is written through, creating the file it names', async (t) => {
    const dir = (0, helpers_js_1.freshDir)();
    (0, node_fs_1.symlinkSync)('data/new.txt', (0, node_path_1.join)(dir, 'link'));
    new atomic_publish_1.AtomicFile((0, node_path_1.join)(dir, 'link')).writeSync('created');
    t.true((0, node_fs_1.lstatSync)((0, node_path_1.join)(dir, 'link')).isSymbolicLink());
    t.is((0, node_fs_1.readFileSync)((0, node_path_1.join)(dir, 'data', 'new.txt'), 'utf8'), 'created');
});
